#include "shared/catalog_file.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "shared/errors.hpp"

namespace subctl {

namespace {

nlohmann::json to_json(const toml::node& node) {
    if (const auto* table = node.as_table()) {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& [key, value] : *table) object[std::string(key.str())] = to_json(value);
        return object;
    }
    if (const auto* array = node.as_array()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& value : *array) list.push_back(to_json(value));
        return list;
    }
    if (const auto* text = node.as_string()) return text->get();
    if (const auto* integer = node.as_integer()) return integer->get();
    if (const auto* floating = node.as_floating_point()) return floating->get();
    if (const auto* boolean = node.as_boolean()) return boolean->get();
    const auto& where = node.source().begin;
    throw Error(Exit::data, "invalid_catalog",
                fmt::format("{}:{}:{}: dates and times have no meaning in a catalog",
                            node.source().path ? *node.source().path : "catalog", where.line, where.column));
}

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable (undefined behaviour) when it tests
// some non-ASCII characters for whitespace: outside strings and comments, and after a
// backslash in a multi-line basic string (found by tests/fuzz/catalog_file_fuzz.cpp).
// Such characters are a syntax error there anyway, so they are refused before parsing.
void refuse_non_ascii_outside_strings(const std::string& text, const std::filesystem::path& path) {
    enum class In { code, comment, basic, literal, multi_line_basic, multi_line_literal } in = In::code;
    std::size_t line = 1, line_start = 0;
    auto at = [&](std::size_t i, const char* token) { return text.compare(i, std::char_traits<char>::length(token), token) == 0; };
    auto refuse = [&](std::size_t i) {
        throw Error(Exit::data, "invalid_catalog",
                    fmt::format("{}:{}:{}: a non-ASCII character is only allowed inside a string or a comment",
                                path.string(), line, i - line_start + 1));
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++line;
            line_start = i + 1;
            if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
            continue;
        }
        switch (in) {
        case In::code:
            if (c >= 0x80) refuse(i);
            if (at(i, "\"\"\"") || at(i, "'''")) {
                in = c == '"' ? In::multi_line_basic : In::multi_line_literal;
                i += 2;
            } else if (c == '"' || c == '\'' || c == '#') {
                in = c == '"' ? In::basic : c == '#' ? In::comment : In::literal;
            }
            break;
        case In::comment: break;
        case In::basic:
            if (c == '\\') ++i;  // the escaped character
            else if (c == '"') in = In::code;
            break;
        case In::literal:
            if (c == '\'') in = In::code;
            break;
        case In::multi_line_basic:
            if (c == '\\') {
                std::size_t next = i + 1;
                while (next < text.size() && (text[next] == ' ' || text[next] == '\t' || text[next] == '\r' || text[next] == '\n')) {
                    if (text[next] == '\n') ++line, line_start = next + 1;
                    ++next;
                }
                if (next < text.size() && static_cast<unsigned char>(text[next]) >= 0x80) refuse(next);
                i = next == i + 1 ? next : next - 1;  // an escape skips its character; a line-ending one the whitespace
            } else if (at(i, "\"\"\"")) {
                in = In::code;
                i += 2;
            }
            break;
        case In::multi_line_literal:
            if (at(i, "'''")) {
                in = In::code;
                i += 2;
            }
            break;
        }
    }
}

}  // namespace

nlohmann::json read_catalog_file(const std::filesystem::path& path) {
    if (!std::filesystem::is_regular_file(path)) {
        throw Error(Exit::data, "invalid_catalog", fmt::format("catalog file {} does not exist", path.string()));
    }
    try {
        std::ifstream file(path, std::ios::binary);
        std::stringstream text;
        text << file.rdbuf();
        refuse_non_ascii_outside_strings(text.str(), path);
        return to_json(toml::parse(text.str(), path.string()));
    } catch (const toml::parse_error& e) {
        throw Error(Exit::data, "invalid_catalog",
                    fmt::format("{}:{}:{}: {}", path.string(), e.source().begin.line, e.source().begin.column,
                                e.description()));
    }
}

}  // namespace subctl
