#include "cli/config.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pwd.h>
#include <regex>
#include <tuple>
#include <utility>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "shared/errors.hpp"
#include "shared/text.hpp"

namespace subctl::cli {

namespace {

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

bool any_libpq_variable() {
    for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"}) {
        if (env(name)) return true;
    }
    return false;
}

std::string login_name() {
    if (const char* name = getlogin(); name != nullptr) return name;
    if (const passwd* entry = getpwuid(geteuid()); entry != nullptr) return entry->pw_name;
    return "unknown";
}

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

struct ConfigFile {
    std::string path;
    toml::table table;
};

// The config file: --config, else SUBCTL_CONFIG (both must exist), else
// config/subctl.toml when present. It must be a readable regular file.
ConfigFile load_file(const GlobalOptions& options) {
    const auto explicit_path = options.config_file ? options.config_file : env("SUBCTL_CONFIG");
    const char* named_by = options.config_file ? "--config" : "SUBCTL_CONFIG";
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

// [table] key as a string: absent is fine, another type is a configuration error.
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

// [table] key as a number (integer or floating point): absent is fine, another type is a
// configuration error.
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

constexpr double max_lag_limit = 86400;

// --max-lag / SUBCTL_MAX_LAG: seconds, a number from 0 to a day (e.g. 10 or 0.5).
std::optional<double> lag_seconds(const std::string& text) {
    static const std::regex seconds(R"(^[0-9]{1,5}(\.[0-9]{1,3})?$)");
    if (!std::regex_match(text, seconds)) return std::nullopt;
    const double value = std::stod(text);
    if (value > max_lag_limit) return std::nullopt;
    return value;
}

// An environment variable that is sent to the database must be UTF-8 text.
std::optional<std::string> env_text(const char* name) {
    auto value = env(name);
    if (value) {
        if (const auto at = invalid_utf8_at(*value)) {
            throw Error(Exit::config, "invalid_environment",
                        fmt::format("{} is not UTF-8 text (byte 0x{:02x} at offset {})", name,
                                    static_cast<unsigned char>((*value)[*at]), *at));
        }
    }
    return value;
}

// The first of a flag, an environment variable and a config file value that is set,
// with where it came from (SPEC 6's precedence).
std::optional<std::pair<std::string, std::string>> first_set(const std::optional<std::string>& flag,
                                                              const char* flag_name, const char* variable,
                                                              const std::optional<std::string>& file_value,
                                                              const std::string& file_source) {
    if (flag) return std::make_pair(*flag, std::string(flag_name));
    if (auto value = env(variable)) return std::make_pair(*value, std::string(variable));
    if (file_value) return std::make_pair(*file_value, file_source);
    return std::nullopt;
}

}  // namespace

ResolvedConfig resolve_config(const GlobalOptions& options) {
    const auto file = load_file(options);
    // Read whole even when flags win: a value of the wrong type is an error either way.
    const auto file_url = file_string(file, "database", "url");
    const auto file_partner = file_string(file, "operator", "partner");
    const auto file_replica_url = file_string(file, "database", "replica_url");
    const auto file_max_lag = file_number(file, "database", "max_lag");
    ResolvedConfig config;
    // libpq's PG* variables come before the config file's url
    if (auto url = first_set(options.db_url, "--db", "DATABASE_URL", any_libpq_variable() ? std::nullopt : file_url,
                             fmt::format("{} [database] url", file.path))) {
        std::tie(config.db_url, config.db_url_source) = *url;
    } else {
        config.db_url_source =
            any_libpq_variable() ? "the PG* variables" : "libpq's defaults, no --db, DATABASE_URL or config url being set";
    }
    config.partner = options.partner.value_or(env_text("SUBCTL_PARTNER").value_or(file_partner.value_or("")));
    config.operator_name = options.operator_name.value_or(env_text("SUBCTL_OPERATOR").value_or(login_name()));

    if (auto url = first_set(options.replica_url, "--replica", "SUBCTL_REPLICA_URL", file_replica_url,
                             fmt::format("{} [database] replica_url", file.path))) {
        std::tie(config.replica_url, config.replica_url_source) = *url;
    }
    if (options.max_lag) {
        const auto seconds = lag_seconds(*options.max_lag);
        if (!seconds) {
            throw Error(Exit::data, "invalid_argument",
                        fmt::format("--max-lag '{}' is not a number of seconds from 0 to {}", *options.max_lag,
                                    max_lag_limit));
        }
        config.max_lag_seconds = *seconds;
        config.max_lag_source = "--max-lag";
    } else if (auto text = env("SUBCTL_MAX_LAG")) {
        const auto seconds = lag_seconds(*text);
        if (!seconds) {
            throw Error(Exit::config, "invalid_environment",
                        fmt::format("SUBCTL_MAX_LAG '{}' is not a number of seconds from 0 to {}", *text, max_lag_limit));
        }
        config.max_lag_seconds = *seconds;
        config.max_lag_source = "SUBCTL_MAX_LAG";
    } else if (file_max_lag) {
        if (*file_max_lag < 0 || *file_max_lag > max_lag_limit) {
            throw Error(Exit::config, "config_invalid",
                        fmt::format("{}: database.max_lag {} is not a number of seconds from 0 to {}", file.path,
                                    *file_max_lag, max_lag_limit));
        }
        config.max_lag_seconds = *file_max_lag;
        config.max_lag_source = fmt::format("{} [database] max_lag", file.path);
    }
    return config;
}

}  // namespace subctl::cli
