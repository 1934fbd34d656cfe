#pragma once
// Configuration precedence of SPEC 6: flags, then environment, then the config file.
#include <optional>
#include <string>

namespace subctl::cli {

struct GlobalOptions {
    std::string output = "table";
    std::optional<std::string> db_url;
    std::optional<std::string> config_file;
    std::optional<std::string> partner;
    std::optional<std::string> operator_name;
    bool quiet = false;
};

struct ResolvedConfig {
    std::string db_url;  // empty: libpq's PG* variables and defaults
    std::string db_url_source;  // --db, DATABASE_URL, the config file or the PG* variables: named when it is wrong
    std::string partner;
    std::string operator_name;
};

ResolvedConfig resolve_config(const GlobalOptions& options);

}  // namespace subctl::cli
