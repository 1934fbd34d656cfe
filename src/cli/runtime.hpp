#pragma once
// What every command gets: the global options, the database (connected on first use)
// and the project's home (migrations/, sql/, config/).
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command_result.hpp"
#include "cli/config.hpp"

namespace CLI {
class App;
}

namespace subctl::db {
class Database;
}

namespace subctl::cli {

class Runtime {
public:
    Runtime();
    ~Runtime();  // where db::Database is a complete type
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    GlobalOptions options;
    std::function<CommandResult()> action;  // set by the chosen subcommand

    // The primary: every mutation, and every read when no replica is configured.
    db::Database& database(const std::string& source = "cli");
    // Reads that may lag (SPEC 7.4: reports, the audit listing, listings): the replica when
    // one is configured (--replica, SUBCTL_REPLICA_URL, [database] replica_url) and it is
    // no more than max-lag behind; else the primary, with a notice saying why (cli/replica.cpp).
    db::Database& read_database();
    const ResolvedConfig& config();
    std::filesystem::path home() const;  // SUBCTL_HOME, else the source tree it was built from

    // Lines for stderr ("CODE: sentence") about a command that succeeded, e.g. that it read
    // the primary because the replica lags; printed by main, never when the command fails.
    std::vector<std::string> notices;

private:
    std::optional<ResolvedConfig> config_;
    std::unique_ptr<db::Database> database_;
    std::unique_ptr<db::Database> replica_;
    db::Database* reader_ = nullptr;  // what read_database chose
};

// Registers a subcommand whose callback stores `run` as the action to perform.
CLI::App* add_command(CLI::App& parent, Runtime& runtime, const std::string& name, const std::string& description,
                      std::function<CommandResult()> run);

}  // namespace subctl::cli
