#include "cli/mutation_flags.hpp"

#include <CLI/CLI.hpp>

namespace subctl::cli {

void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version) {
    command->add_option("--request-id", flags.request_id,
                        "Idempotency key: a repeat returns the first result and changes nothing");
    command->add_flag("--dry-run", flags.dry_run, "Run the very same code, roll it back, report what would happen");
    if (with_version) {
        command->add_option("--if-version", flags.if_version,
                            "Refuse (version_mismatch) unless the subscription is at this version");
    }
}

}  // namespace subctl::cli
