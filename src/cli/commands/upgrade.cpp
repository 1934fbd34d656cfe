// subctl upgrades SUBSCRIPTION | upgrade SUBSCRIPTION --to OFFER [--quantity N] ...
#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"

namespace subctl::cli {

namespace {

struct UpgradeArgs {
    std::string subscription;
    std::string target;
    std::optional<std::string> quantity;
    MutationFlags flags;
};

CommandResult run_upgrades(Runtime& runtime, const UpgradeArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::upgrades,
                                    require_uuid(args.subscription, "subscription id"))};
}

CommandResult run_upgrade(Runtime& runtime, const UpgradeArgs& args) {
    return operation_result(runtime.database().call(
        args.flags.outcome(), db::statements::upgrade,
        require_uuid(args.subscription, "subscription id"), args.target, optional_quantity(args.quantity),
        args.flags.request_id, optional_version(args.flags.if_version), args.flags.dry_run));
}

// An offer no upgrade path leaves lists no targets: a table says so, naming the offer.
CommandResult with_no_path_note(Runtime& runtime, const UpgradeArgs& args, CommandResult result) {
    if (result.records.is_array() && result.records.empty()) {
        const auto details = runtime.read_database().call(db::Outcome::rollback, db::statements::subscription_details,
                                                          args.subscription);
        result.when_empty = no_upgrade_path(details.value("offer_id", ""), details.value("offer_name", ""));
    }
    return result;
}

}  // namespace

void setup_upgrade(CLI::App& app, Runtime& runtime) {
    auto args = std::make_shared<UpgradeArgs>();
    auto* upgrades = add_command(app, runtime, "upgrades", "Every upgrade target: eligible, and all errors that apply",
                                 [&runtime, args] {
                                     return with_no_path_note(runtime, *args, run_upgrades(runtime, *args));
                                 });
    upgrades->add_option("SUBSCRIPTION", args->subscription, "Subscription id (UUID)")->required();

    auto* upgrade = add_command(app, runtime, "upgrade", "Upgrade a subscription to a target offer",
                                [&runtime, args] { return run_upgrade(runtime, *args); });
    upgrade->add_option("SUBSCRIPTION", args->subscription, "Subscription id (UUID)")->required();
    upgrade->add_option("--to", args->target, "Target offer id")->required();
    upgrade->add_option("--quantity", args->quantity, "Licenses of the target (default: the source's)");
    add_mutation_flags(upgrade, args->flags, true);
}

}  // namespace subctl::cli
