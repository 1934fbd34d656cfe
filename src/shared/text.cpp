#include "shared/text.hpp"

#include <clocale>
#include <cstdio>
#include <cwchar>
#include <locale.h>
#include <string>

namespace subctl {

namespace {

// The next character of UTF-8 text at i (advanced past it); a stray byte is a character
// of its own.
char32_t next_character(std::string_view text, std::size_t& i) {
    const auto c = static_cast<unsigned char>(text[i++]);
    const std::size_t length = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    char32_t code = length == 3 ? c & 0x07 : length == 2 ? c & 0x0F : length == 1 ? c & 0x1F : c;
    for (std::size_t k = 0; k < length && i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; ++k) {
        code = (code << 6) | (static_cast<unsigned char>(text[i++]) & 0x3F);
    }
    return code;
}

// A UTF-8 LC_CTYPE for wcwidth, made once; none when the system has no such locale.
locale_t utf8_ctype() {
    static const locale_t locale = [] {
        for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
            if (const locale_t made = newlocale(LC_CTYPE_MASK, name, static_cast<locale_t>(nullptr))) return made;
        }
        return static_cast<locale_t>(nullptr);
    }();
    return locale;
}

// Applies f(character, its columns) to each character until f returns false.
template <typename F>
void each_width(std::string_view text, F f) {
    const locale_t utf8 = utf8_ctype();
    const locale_t previous = utf8 ? uselocale(utf8) : static_cast<locale_t>(nullptr);
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        const char32_t code = next_character(text, i);
        const int columns = utf8 ? wcwidth(static_cast<wchar_t>(code)) : 1;
        if (!f(start, i, static_cast<std::size_t>(columns < 0 ? 1 : columns))) break;
    }
    if (utf8) uselocale(previous);
}

}  // namespace

std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    for (std::size_t i = 0; i < size;) {
        const unsigned char c = bytes[i];
        if (c == 0) return i;
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) low = 0xA0;   // overlong
            if (c == 0xED) high = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) low = 0x90;   // overlong
            if (c == 0xF4) high = 0x8F;  // past U+10FFFF
        } else {
            return i;
        }
        if (i + length > size) return i;
        if (bytes[i + 1] < low || bytes[i + 1] > high) return i;
        for (std::size_t k = 2; k < length; ++k) {
            if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF) return i;
        }
        i += length;
    }
    return std::nullopt;
}

std::size_t characters(std::string_view text) {
    std::size_t count = 0;
    for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;  // not a continuation byte
    return count;
}

std::size_t display_width(std::string_view text) {
    std::size_t width = 0;
    each_width(text, [&width](std::size_t, std::size_t, std::size_t columns) {
        width += columns;
        return true;
    });
    return width;
}

std::string_view display_prefix(std::string_view text, std::size_t columns) {
    std::size_t width = 0;
    std::size_t end = 0;
    each_width(text, [&](std::size_t, std::size_t after, std::size_t wide) {
        if (width + wide > columns) return false;
        width += wide;
        end = after;
        return true;
    });
    return text.substr(0, end);
}

std::string visible(std::string_view text) {
    std::string shown;
    shown.reserve(text.size());
    char escape[16];
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f) {
            std::snprintf(escape, sizeof escape, "\\x%02x", c);
            shown += escape;
            continue;
        }
        unsigned code = 0;  // the code point of a 2- or 3-byte sequence that acts
        if (c == 0xC2 && i + 1 < text.size()) {
            const auto next = static_cast<unsigned char>(text[i + 1]);
            if (next >= 0x80 && next <= 0x9f) code = next;  // U+0080-U+009F
        } else if (c == 0xE2 && i + 2 < text.size()) {
            const unsigned point = 0x2000u | ((static_cast<unsigned char>(text[i + 1]) & 0x3fu) << 6) |
                                   (static_cast<unsigned char>(text[i + 2]) & 0x3fu);
            if (static_cast<unsigned char>(text[i + 1]) >> 6 == 2 && static_cast<unsigned char>(text[i + 2]) >> 6 == 2 &&
                ((point >= 0x2028 && point <= 0x202e) || (point >= 0x2066 && point <= 0x2069))) {
                code = point;
            }
        }
        if (code != 0) {
            std::snprintf(escape, sizeof escape, "\\u{%04X}", code);
            shown += escape;
            i += code < 0x100 ? 1 : 2;
            continue;
        }
        shown += text[i];
    }
    return shown;
}

}  // namespace subctl
