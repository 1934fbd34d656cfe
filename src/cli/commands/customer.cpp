// subctl customer add --name NAME [--id UUID] [--domain DOMAIN] | customer list [--search TEXT]
// | customer show CUSTOMER | customer link CUSTOMER PARTNER
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"
#include "shared/vocabulary.hpp"

namespace subctl::cli {

namespace {

struct CustomerArgs {
    std::string name;
    std::optional<std::string> id;
    std::optional<std::string> domain;
    MutationFlags flags;
    std::string customer;  // customer show, customer link
    std::string partner;   // customer link
    std::optional<std::string> search;
};

CommandResult run_customer_add(Runtime& runtime, const CustomerArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::customer_add,
                                       require_text(args.name, "customer name", sql::display_name_max_length),
                                       optional_uuid(args.id, "customer id"), args.domain, request_id,
                                       args.flags.dry_run, args.flags.comment);
    });
}

// The platform's record that the customer accepted the partner's reseller invitation.
CommandResult run_customer_link(Runtime& runtime, const CustomerArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(db::Outcome::commit, db::statements::customer_link, args.customer,
                                       require_text(args.partner, "partner id", sql::id_max_length), args.flags.comment,
                                       request_id);
    });
}

CommandResult run_customer_list(Runtime& runtime, const CustomerArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::customers, args.search)};
}

CommandResult run_customer_show(Runtime& runtime, const CustomerArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::customer, args.customer)};
}

}  // namespace

void setup_customer(CLI::App& app, Runtime& runtime) {
    auto* customer = app.add_subcommand("customer", "Customer tenants");
    customer->require_subcommand(1);
    auto args = std::make_shared<CustomerArgs>();
    auto* add = add_command(*customer, runtime, "add", "Add a customer for the acting partner",
                            [&runtime, args] { return run_customer_add(runtime, *args); });
    add->add_option("--name", args->name, fmt::format("Customer name (1-{} characters)", sql::display_name_max_length))
        ->required();
    add->add_option("--id", args->id, "Tenant id (UUID); generated when omitted");
    add->add_option("--domain", args->domain, "Primary domain, e.g. contoso.partner.onmschina.cn");
    add_mutation_flags(add, args->flags, false);
    auto* list = add_command(*customer, runtime, "list", "List the acting partner's customers",
                             [&runtime, args] { return run_customer_list(runtime, *args); });
    list->add_option("--search", args->search, "Only those whose name or domain contains TEXT (any case)");
    auto* show = add_command(*customer, runtime, "show",
                             "Show one customer: its subscriptions by status, the relationship per service",
                             [&runtime, args] { return run_customer_show(runtime, *args); });
    show->add_option("CUSTOMER", args->customer, "Customer: id, primary domain or name")->required();
    auto* link = add_command(*customer, runtime, "link",
                             "Make an existing customer visible to another partner: the customer accepted its "
                             "reseller invitation (owner only)",
                             [&runtime, args] { return run_customer_link(runtime, *args); });
    link->add_option("CUSTOMER", args->customer, "Customer: id, primary domain or name")->required();
    link->add_option("PARTNER", args->partner, "Partner id")->required();
    add_platform_flags(link, args->flags);
}

}  // namespace subctl::cli
