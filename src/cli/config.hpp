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
    std::optional<std::string> replica_url;  // reads that may lag (SPEC 7.4)
    std::optional<std::string> max_lag;      // seconds, checked by resolve_config
    bool quiet = false;
    bool wide = false;  // tables: every column, every value in full
};

struct ResolvedConfig {
    std::string db_url;  // empty: libpq's PG* variables and defaults
    std::string db_url_source;  // --db, DATABASE_URL, the config file or the PG* variables: named when it is wrong
    std::string partner;
    std::string operator_name;
    // A replica for the reads that may lag (reports, the audit listing, listings):
    // --replica, else SUBCTL_REPLICA_URL, else [database] replica_url; empty: none.
    std::string replica_url;
    std::string replica_url_source;
    // How far behind the replica may be: --max-lag, else SUBCTL_MAX_LAG, else
    // [database] max_lag, else 10 seconds.
    double max_lag_seconds = 10;
    std::string max_lag_source = "the default";
};

ResolvedConfig resolve_config(const GlobalOptions& options);

}  // namespace subctl::cli
