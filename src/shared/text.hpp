#pragma once
// Text checks shared by the command line, the config file and batch files: PostgreSQL
// refuses bytes that are not UTF-8 with its own message, so subctl checks first and
// names the argument, file or line at fault.
#include <cstddef>
#include <optional>
#include <string_view>

namespace subctl {

// The offset of the first byte that does not belong to well-formed UTF-8 (overlong
// forms, surrogates and code points past U+10FFFF included), or none. A NUL byte counts
// as invalid: PostgreSQL text cannot hold it.
std::optional<std::size_t> invalid_utf8_at(std::string_view text);

// The characters of UTF-8 text as PostgreSQL counts them (code points).
std::size_t characters(std::string_view text);

// The columns UTF-8 text takes on a terminal: the C library's wcwidth of each character
// (2 for Chinese characters and fullwidth forms, 0 for combining marks, 1 for anything it
// cannot tell), read under a UTF-8 LC_CTYPE set for this thread only: the process's
// locale (and with it number formatting) stays as it is.
std::size_t display_width(std::string_view text);
// The longest start of the text that is at most `columns` wide, no character split.
std::string_view display_prefix(std::string_view text, std::size_t columns);

// The text as a terminal may show it: every character that would act instead of being
// seen (C0 and C1 controls, DEL, the line and paragraph separators, the bidirectional
// embeddings, overrides and isolates) written as \xNN or \u{XXXX}, so that a value stored
// by someone else can neither move the cursor, retitle the window nor reorder the line.
std::string visible(std::string_view text);

}  // namespace subctl
