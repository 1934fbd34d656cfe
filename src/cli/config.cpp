#include "cli/config.hpp"

#include <cstdlib>
#include <pwd.h>
#include <regex>
#include <tuple>
#include <utility>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/config_file.hpp"
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
    const auto file = load_file(options.config_file, env("SUBCTL_CONFIG"));
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
