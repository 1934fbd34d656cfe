#pragma once
// The flags every mutating command shares, and the one place a dry run becomes a rollback.
#include <optional>
#include <string>

#include "db/outcome.hpp"

namespace CLI {
class App;
}

namespace subctl::cli {

// --request-id, --dry-run and (on subscription changes) --if-version.
struct MutationFlags {
    std::optional<std::string> request_id;
    std::optional<std::string> if_version;
    bool dry_run = false;
    // A dry run runs the very same call and rolls its transaction back.
    db::Outcome outcome() const { return dry_run ? db::Outcome::rollback : db::Outcome::commit; }
};
void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version);

}  // namespace subctl::cli
