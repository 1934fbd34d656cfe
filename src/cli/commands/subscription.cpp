// subctl subscription add|list|show|activate|suspend|reactivate|cancel
#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"
#include "shared/vocabulary.hpp"

namespace subctl::cli {

namespace {

struct SubscriptionArgs {
    std::string customer;
    std::string offer;
    std::string quantity;
    std::string billing_cycle = "monthly";
    std::string channel = "csp";
    std::string status = "active";
    std::optional<std::string> parent;
    std::optional<std::string> filter_customer;
    std::string subscription;
    MutationFlags flags;
};

CommandResult run_subscription_add(Runtime& runtime, const SubscriptionArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::subscription_add, args.customer,
                                       args.offer, require_quantity(args.quantity), args.billing_cycle, args.channel,
                                       args.status, args.parent, request_id, args.flags.dry_run, args.flags.comment);
    });
}

CommandResult run_subscription_list(Runtime& runtime, const SubscriptionArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::subscriptions, args.filter_customer)};
}

CommandResult run_subscription_show(Runtime& runtime, const SubscriptionArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::subscription_details,
                                         args.subscription)};
}

CommandResult run_subscription_change(Runtime& runtime, const std::string& operation, const SubscriptionArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::subscription_change, operation,
                                       args.subscription, request_id, optional_version(args.flags.if_version),
                                       args.flags.dry_run, args.flags.comment);
    });
}

}  // namespace

void setup_subscription(CLI::App& app, Runtime& runtime) {
    auto* subscription = app.add_subcommand("subscription", "Customers' subscriptions");
    subscription->require_subcommand(1);
    auto args = std::make_shared<SubscriptionArgs>();

    auto* add = add_command(*subscription, runtime, "add", "Record a subscription bought through any channel",
                            [&runtime, args] { return run_subscription_add(runtime, *args); });
    add->add_option("CUSTOMER", args->customer, "Customer: id, primary domain or name")->required();
    add->add_option("--offer", args->offer, "Offer id")->required();
    add->add_option("--quantity", args->quantity, "Licenses")->required();
    add->add_option("--billing-cycle", args->billing_cycle, "monthly (default) or annual")
        ->check(CLI::IsMember(choices(sql::billing_cycles)));
    add->add_option("--channel", args->channel, "csp (sold by the acting partner, default), direct, other-reseller")
        ->check(CLI::IsMember(choices(sql::channels)));
    add->add_option("--status", args->status, "active (default) or pending")->check(CLI::IsMember(choices(sql::subscription_initial_statuses)));
    add->add_option("--parent", args->parent, id_or_prefix_help("Parent subscription (add-ons only)"));
    add_mutation_flags(add, args->flags, false);

    auto* list = add_command(*subscription, runtime, "list", "List subscriptions of the acting partner's customers",
                             [&runtime, args] { return run_subscription_list(runtime, *args); });
    list->add_option("--customer", args->filter_customer, "Only this customer's: id, primary domain or name");

    auto* show = add_command(*subscription, runtime, "show",
                             "The Details page: the subscription, what it can be upgraded to now, what blocks the rest",
                             [&runtime, args] { return run_subscription_show(runtime, *args); });
    show->add_option("SUBSCRIPTION", args->subscription, id_or_prefix_help("Subscription"))->required();

    const std::pair<const char*, const char*> changes[] = {
        {"activate", "pending -> active (provisioned)"},
        {"suspend", "active -> suspended"},
        {"reactivate", "suspended -> active (not for a source replaced by an upgrade)"},
        {"cancel", "active|suspended -> cancelled (terminal); cancels its add-ons"}};
    for (const auto& [name, description] : changes) {
        const std::string operation = name;
        auto* command = add_command(*subscription, runtime, name, description, [&runtime, args, operation] {
            return run_subscription_change(runtime, operation, *args);
        });
        command->add_option("SUBSCRIPTION", args->subscription, id_or_prefix_help("Subscription"))->required();
        add_mutation_flags(command, args->flags, true);
    }
}

}  // namespace subctl::cli
