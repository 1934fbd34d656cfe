#include "cli/config_file.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "shared/errors.hpp"
#include "shared/text.hpp"

namespace subctl::cli {

namespace {

const char* type_name(toml::node_type type) {
    switch (type) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
    }
}

}  // namespace

ConfigFile load_file(const std::optional<std::string>& config_flag, const std::optional<std::string>& config_variable) {
    const auto explicit_path = config_flag ? config_flag : config_variable;
    const char* named_by = config_flag ? "--config" : "SUBCTL_CONFIG";
    ConfigFile file{explicit_path.value_or("config/subctl.toml"), {}};
    std::error_code error;
    const auto status = std::filesystem::status(file.path, error);
    if (!std::filesystem::exists(status)) {
        if (explicit_path) {
            throw Error(Exit::config, "config_missing",
                        fmt::format("config file {} (from {}) does not exist", file.path, named_by));
        }
        return file;
    }
    if (!std::filesystem::is_regular_file(status) || !std::ifstream(file.path)) {
        throw Error(Exit::config, "config_unreadable",
                    fmt::format("config file {}{} is not a readable regular file", file.path,
                                explicit_path ? fmt::format(" (from {})", named_by) : std::string()));
    }
    try {
        file.table = toml::parse_file(file.path);
    } catch (const toml::parse_error& e) {
        throw Error(Exit::config, "config_invalid",
                    fmt::format("{}:{}:{}: {}", file.path, e.source().begin.line, e.source().begin.column,
                                e.description()));
    }
    return file;
}

std::optional<std::string> file_string(const ConfigFile& file, const char* table, const char* key) {
    const auto section = file.table[table];
    if (section && !section.is_table()) {
        throw Error(Exit::config, "config_invalid",
                    fmt::format("{}:{}: [{}] must be a table, not {}", file.path, section.node()->source().begin.line,
                                table, type_name(section.type())));
    }
    const auto node = section[key];
    if (!node) return std::nullopt;
    if (!node.is_string()) {
        throw Error(Exit::config, "config_invalid",
                    fmt::format("{}:{}: {}.{} must be a string, not {}", file.path, node.node()->source().begin.line,
                                table, key, type_name(node.type())));
    }
    auto value = *node.value<std::string>();
    if (const auto at = invalid_utf8_at(value)) {
        throw Error(Exit::config, "config_invalid",
                    fmt::format("{}:{}: {}.{} is not UTF-8 text (byte {} at offset {})", file.path,
                                node.node()->source().begin.line, table, key,
                                fmt::format("0x{:02x}", static_cast<unsigned char>(value[*at])), *at));
    }
    if (value.empty()) return std::nullopt;
    return value;
}

std::optional<double> file_number(const ConfigFile& file, const char* table, const char* key) {
    const auto node = file.table[table][key];
    if (!node) return std::nullopt;
    if (!node.is_number()) {
        throw Error(Exit::config, "config_invalid",
                    fmt::format("{}:{}: {}.{} must be a number (seconds), not {}", file.path,
                                node.node()->source().begin.line, table, key, type_name(node.type())));
    }
    return node.is_integer() ? static_cast<double>(*node.value<std::int64_t>()) : *node.value<double>();
}

}  // namespace subctl::cli
