#pragma once
// What every command gets: the global options, the database (connected on first use),
// the project's home (migrations/, sql/, config/), and input validation helpers.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/config.hpp"
#include "cli/output.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"
#include "domain/errors.hpp"

namespace subctl::cli {

struct CommandResult {
    CommandResult(nlohmann::json records = nullptr, Exit exit = Exit::ok)  // implicit: commands return their records
        : records(std::move(records)), exit(exit) {}
    // Records too many to hold at once, printed page by page as they are fetched.
    explicit CommandResult(RecordPages pages) : pages(std::move(pages)) {}

    nlohmann::json records;
    Exit exit = Exit::ok;
    RecordPages pages;
    // With a failing exit: the one stderr line (`CODE: sentence`) when the records alone
    // do not say what failed.
    std::string failure;
};

class Runtime {
public:
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

// --request-id, --dry-run and (on subscription changes) --if-version.
struct MutationFlags {
    std::optional<std::string> request_id;
    std::optional<std::string> if_version;
    bool dry_run = false;
    // A dry run runs the very same call and rolls its transaction back.
    db::Outcome outcome() const { return dry_run ? db::Outcome::rollback : db::Outcome::commit; }
};
void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version);

// An operation's result: exit 1 when rejected (or, in a dry run, when errors would apply).
CommandResult operation_result(nlohmann::json result);

// Sets up the subcommand groups: one file each under cli/commands/.
void setup_migrate(CLI::App& app, Runtime& runtime);
void setup_catalog(CLI::App& app, Runtime& runtime);
void setup_partner(CLI::App& app, Runtime& runtime);
void setup_customer(CLI::App& app, Runtime& runtime);
void setup_relationship(CLI::App& app, Runtime& runtime);
void setup_subscription(CLI::App& app, Runtime& runtime);
void setup_upgrade(CLI::App& app, Runtime& runtime);
void setup_licenses(CLI::App& app, Runtime& runtime);
void setup_batch(CLI::App& app, Runtime& runtime);
void setup_report(CLI::App& app, Runtime& runtime);
void setup_audit(CLI::App& app, Runtime& runtime);

}  // namespace subctl::cli
