// subctl licenses add|remove SUBSCRIPTION N
#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"

namespace subctl::cli {

namespace {

struct LicensesArgs {
    std::string subscription;
    std::string quantity;
    MutationFlags flags;
};

CommandResult run_licenses_change(Runtime& runtime, const std::string& operation, const LicensesArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::licenses_change, operation,
                                       args.subscription, require_quantity(args.quantity, "number of licenses"),
                                       request_id, optional_version(args.flags.if_version), args.flags.dry_run,
                                       args.flags.comment);
    });
}

}  // namespace

void setup_licenses(CLI::App& app, Runtime& runtime) {
    auto* licenses = app.add_subcommand("licenses", "Add or remove licenses of a subscription");
    licenses->require_subcommand(1);
    auto args = std::make_shared<LicensesArgs>();
    const std::pair<const char*, const char*> changes[] = {
        {"add", "Add N licenses (the result must be within the offer's range)"},
        {"remove", "Remove N licenses (refused on annual subscriptions)"}};
    for (const auto& [name, description] : changes) {
        const std::string operation = name;
        auto* command = add_command(*licenses, runtime, name, description, [&runtime, args, operation] {
            return run_licenses_change(runtime, operation, *args);
        });
        command->add_option("SUBSCRIPTION", args->subscription, id_or_prefix_help("Subscription"))->required();
        command->add_option("N", args->quantity, "Number of licenses")->required();
        add_mutation_flags(command, args->flags, true);
    }
}

}  // namespace subctl::cli
