// subctl upgrades SUBSCRIPTION [--quantity N] [--into SUBSCRIPTION]
// | upgrade SUBSCRIPTION [--to OFFER] [--into SUBSCRIPTION] [--quantity N] [--no-license-transfer] ...
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/upgrade_guided.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"

namespace subctl::cli {

namespace {

struct UpgradeArgs {
    std::string subscription;
    std::string target;
    std::optional<std::string> into;  // an existing subscription of the target offer to upgrade into
    std::optional<std::string> quantity;
    bool no_license_transfer = false;
    MutationFlags flags;
};

CommandResult run_upgrades(Runtime& runtime, const UpgradeArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::upgrades, args.subscription,
                                         optional_quantity(args.quantity), args.into)};
}

CommandResult run_upgrade(Runtime& runtime, const UpgradeArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        // --into alone: the target offer is that subscription's (NULL to the database)
        const auto target = args.target.empty() ? std::optional<std::string>() : std::optional<std::string>(args.target);
        return runtime.database().call(args.flags.outcome(), db::statements::upgrade, args.subscription, target,
                                       optional_quantity(args.quantity), request_id,
                                       optional_version(args.flags.if_version), args.flags.dry_run, args.flags.comment,
                                       !args.no_license_transfer, args.into);
    });
}

// Without --to (SPEC 7.2), on a terminal: the guided upgrade (upgrade_guided.cpp), whose dry
// run and upgrade are run_upgrade itself, at the version the operator was shown.
CommandResult run_upgrade_guided(Runtime& runtime, const UpgradeArgs& args) {
    if (!on_terminal()) {
        throw Error(Exit::usage, "usage",
                    "--to OFFER is required when stdin and stdout are not a terminal (on one, upgrade asks for it)");
    }
    GuidedUpgrade guided;
    guided.quantity = optional_quantity(args.quantity);
    guided.dry_run = args.flags.dry_run;
    guided.details = [&runtime, &args] {
        return runtime.database().call(db::Outcome::rollback, db::statements::subscription_details, args.subscription);
    };
    // one request id for what is shown and what is submitted (a dry run stores nothing under it)
    auto request = args;
    request.flags.request_id = request_id_of(args.flags);
    guided.upgrade = [&runtime, request](const UpgradeChoice& choice) {
        auto chosen = request;
        chosen.subscription = choice.subscription_id;
        chosen.target = choice.target_offer;
        chosen.quantity = std::to_string(choice.quantity);
        if (!chosen.flags.if_version) chosen.flags.if_version = std::to_string(choice.version);
        chosen.flags.dry_run = choice.dry_run;
        return run_upgrade(runtime, chosen);
    };
    return guided_upgrade(guided, std::cin, std::cout);
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
    upgrades->add_option("SUBSCRIPTION", args->subscription, id_or_prefix_help("Subscription"))->required();
    upgrades->add_option("--quantity", args->quantity,
                         "Licenses of the target to check, or with --into the licenses it would grow by (default: the source's)");
    upgrades->add_option("--into", args->into,
                         "Check each target as an upgrade into this existing subscription. " + id_or_prefix_help("Subscription"));

    auto* upgrade = add_command(app, runtime, "upgrade", "Upgrade a subscription to a target offer",
                                [&runtime, args] {
                                    if (args->target.empty() && !args->into) return run_upgrade_guided(runtime, *args);
                                    return run_upgrade(runtime, *args);
                                });
    upgrade->add_option("SUBSCRIPTION", args->subscription, id_or_prefix_help("Subscription"))->required();
    upgrade->add_option("--to", args->target,
                        "Target offer id (without it, on a terminal: choose one of the eligible)");
    upgrade->add_option("--into", args->into,
                        "Upgrade into this existing active subscription of the target offer (same customer and billing "
                        "cycle): it grows by --quantity instead of a new one. " + id_or_prefix_help("Subscription"));
    upgrade->add_option("--quantity", args->quantity,
                        "Licenses of the target, or with --into the licenses it grows by (default: the source's)");
    upgrade->add_flag("--no-license-transfer", args->no_license_transfer,
                      "Leave the users' licenses on the suspended source (upgrade_only; default: they move to the target)");
    add_mutation_flags(upgrade, args->flags, true);
}

}  // namespace subctl::cli
