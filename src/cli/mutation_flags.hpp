#pragma once
// The flags every mutating command shares, the one place a dry run becomes a rollback,
// and the request id every mutation is sent with.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command_result.hpp"
#include "db/outcome.hpp"

namespace CLI {
class App;
}

namespace subctl::cli {

// --request-id, --dry-run, --comment and (on subscription changes) --if-version.
struct MutationFlags {
    std::optional<std::string> request_id;
    std::optional<std::string> if_version;
    std::optional<std::string> comment;
    bool dry_run = false;
    // A dry run runs the very same call and rolls its transaction back.
    db::Outcome outcome() const { return dry_run ? db::Outcome::rollback : db::Outcome::commit; }
};
void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version);
// --request-id and --comment: the platform's administrations (partners, links, logins,
// the catalog), which have no dry run.
void add_platform_flags(CLI::App* command, MutationFlags& flags);

// A random UUID (version 4) as a request id.
std::string generate_request_id();

// The request id a mutation is sent with: the one given, else a generated one. Made
// before the call, so that a failure can name it even when the connection died.
std::string request_id_of(const MutationFlags& flags);

// A failure that may be retried (exit 69, 75), naming the request id to retry with: the
// retry then applies the request at most once. Other failures unchanged.
Error naming_request_id(const Error& error, const std::string& request_id);

// Runs a mutation's call sent with request_id: its operation_result, carrying request_id;
// a failure that may be retried names it.
CommandResult mutation_result(const std::string& request_id, const std::function<nlohmann::json()>& call);

}  // namespace subctl::cli
