// subctl user add CUSTOMER --upn NAME@DOMAIN [--name TEXT] | user list --customer CUSTOMER
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

// The longest user principal name (the table's check_users_upn_format).
constexpr std::size_t upn_max_length = 320;

struct UserArgs {
    std::string customer;
    std::string upn;
    std::optional<std::string> name;
    MutationFlags flags;
};

CommandResult run_user_add(Runtime& runtime, const UserArgs& args) {
    std::optional<std::string> name;
    if (args.name) name = require_text(*args.name, "user name", sql::display_name_max_length);
    const auto upn = require_text(args.upn, "user principal name", upn_max_length);
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::user_add, args.customer, upn, name,
                                       request_id, args.flags.dry_run, args.flags.comment);
    });
}

CommandResult run_user_list(Runtime& runtime, const UserArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::users, args.customer)};
}

}  // namespace

void setup_user(CLI::App& app, Runtime& runtime) {
    auto* user = app.add_subcommand("user", "A customer's users");
    user->require_subcommand(1);
    auto args = std::make_shared<UserArgs>();
    auto* add = add_command(*user, runtime, "add", "Add a user to a customer",
                            [&runtime, args] { return run_user_add(runtime, *args); });
    add->add_option("CUSTOMER", args->customer, "Customer: id, primary domain or name")->required();
    add->add_option("--upn", args->upn, "User principal name NAME@DOMAIN, unique in the customer (any case)")->required();
    add->add_option("--name", args->name, fmt::format("Display name (1-{} characters)", sql::display_name_max_length));
    add_mutation_flags(add, args->flags, false);
    auto* list = add_command(*user, runtime, "list", "List a customer's users and the licenses each holds",
                             [&runtime, args] { return run_user_list(runtime, *args); });
    list->add_option("--customer", args->customer, "Customer: id, primary domain or name")->required();
}

}  // namespace subctl::cli
