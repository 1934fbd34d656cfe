#include "shared/text.hpp"

#include <cstdio>
#include <string>

namespace subctl {

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
