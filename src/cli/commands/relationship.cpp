// subctl relationship request|accept|remove CUSTOMER --service SERVICE [--expires DATE] | relationship list
#include <CLI/CLI.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"

namespace subctl::cli {

namespace {

struct RelationshipArgs {
    std::string customer;
    std::string service = "office365";
    std::optional<std::string> expires;
    std::optional<std::string> filter_customer;
    MutationFlags flags;
};

CommandResult run_relationship_change(Runtime& runtime, const std::string& operation, const RelationshipArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::relationship_change, operation,
                                       args.customer, args.service, args.expires, request_id, args.flags.dry_run,
                                       args.flags.comment);
    });
}

CommandResult run_relationship_list(Runtime& runtime, const RelationshipArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::relationships, args.filter_customer)};
}

}  // namespace

void setup_relationship(CLI::App& app, Runtime& runtime) {
    auto* relationship = app.add_subcommand("relationship", "Delegated-admin relationships");
    relationship->require_subcommand(1);
    auto args = std::make_shared<RelationshipArgs>();
    const std::pair<const char*, const char*> changes[] = {
        {"request", "Request delegated admin privileges from a customer"},
        {"accept", "Record the customer's acceptance (refused if another partner is active)"},
        {"remove", "Remove the acting partner's relationship"}};
    for (const auto& [name, description] : changes) {
        const std::string operation = name;
        auto* command = add_command(*relationship, runtime, name, description, [&runtime, args, operation] {
            return run_relationship_change(runtime, operation, *args);
        });
        command->add_option("CUSTOMER", args->customer, "Customer: id, primary domain or name")->required();
        command->add_option("--service", args->service, "Service (default office365)");
        command->add_option("--expires", args->expires,
                            "Expiry (timestamp or date); at most two years after activation, default the maximum");
        add_mutation_flags(command, args->flags, false);
    }
    auto* list = add_command(*relationship, runtime, "list", "List the acting partner's relationships",
                             [&runtime, args] { return run_relationship_list(runtime, *args); });
    list->add_option("--customer", args->filter_customer, "Only this customer's: id, primary domain or name");
}

}  // namespace subctl::cli
