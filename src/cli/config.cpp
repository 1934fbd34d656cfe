#include "cli/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "domain/errors.hpp"

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

// The config file: --config, else SUBCTL_CONFIG (both must exist), else
// config/subctl.toml when present.
toml::table load_file(const GlobalOptions& options) {
    auto explicit_path = options.config_file ? options.config_file : env("SUBCTL_CONFIG");
    std::string path = explicit_path.value_or("config/subctl.toml");
    if (!std::filesystem::exists(path)) {
        if (explicit_path) throw Error(Exit::config, "config_missing", fmt::format("config file {} does not exist", path));
        return {};
    }
    try {
        return toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        throw Error(Exit::config, "config_invalid",
                    fmt::format("{}:{}:{}: {}", path, e.source().begin.line, e.source().begin.column, e.description()));
    }
}

std::optional<std::string> file_string(const toml::table& file, const char* table, const char* key) {
    if (auto value = file[table][key].value<std::string>(); value && !value->empty()) return value;
    return std::nullopt;
}

}  // namespace

ResolvedConfig resolve_config(const GlobalOptions& options) {
    const auto file = load_file(options);
    ResolvedConfig config;
    if (options.db_url) {
        config.db_url = *options.db_url;
    } else if (auto url = env("DATABASE_URL")) {
        config.db_url = *url;
    } else if (!any_libpq_variable()) {
        config.db_url = file_string(file, "database", "url").value_or("");
    }
    config.partner = options.partner.value_or(
        env("SUBCTL_PARTNER").value_or(file_string(file, "operator", "partner").value_or("")));
    config.operator_name = options.operator_name.value_or(env("SUBCTL_OPERATOR").value_or(login_name()));
    return config;
}

}  // namespace subctl::cli
