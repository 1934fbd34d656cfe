// subctl partner add ID --name NAME | partner map-login ROLE PARTNER
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

struct PartnerArgs {
    std::string id;
    std::string name;
    std::string login_role;
    MutationFlags flags;  // --request-id, --comment
};

CommandResult run_partner_add(Runtime& runtime, const PartnerArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(db::Outcome::commit, db::statements::partner_add,
                                       require_text(args.id, "partner id", sql::id_max_length),
                                       require_text(args.name, "partner name", sql::display_name_max_length),
                                       args.flags.comment, request_id);
    });
}

CommandResult run_partner_map_login(Runtime& runtime, const PartnerArgs& args) {
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(db::Outcome::commit, db::statements::partner_login_map,
                                       require_text(args.login_role, "login role", 63),
                                       require_text(args.id, "partner id", sql::id_max_length), args.flags.comment,
                                       request_id);
    });
}

}  // namespace

void setup_partner(CLI::App& app, Runtime& runtime) {
    auto* partner = app.add_subcommand("partner", "CSP reseller partners");
    partner->require_subcommand(1);
    auto args = std::make_shared<PartnerArgs>();
    auto* add = add_command(*partner, runtime, "add", "Add a partner",
                            [&runtime, args] { return run_partner_add(runtime, *args); });
    add->add_option("ID", args->id, "Partner id (lower-case letters, digits, . _ -)")->required();
    add->add_option("--name", args->name, "Display name")->required();
    add_platform_flags(add, args->flags);
    auto* map_login = add_command(*partner, runtime, "map-login",
                                  "Map a database login to the partner it acts for (owner only)",
                                  [&runtime, args] { return run_partner_map_login(runtime, *args); });
    map_login->add_option("ROLE", args->login_role, "Database login role")->required();
    map_login->add_option("PARTNER", args->id, "Partner id")->required();
    add_platform_flags(map_login, args->flags);
}

}  // namespace subctl::cli
