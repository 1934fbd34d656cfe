// subctl partner add ID --name NAME
#include "cli/runtime.hpp"

namespace subctl::cli {

namespace {

struct PartnerArgs {
    std::string id;
    std::string name;
};

CommandResult run_partner_add(Runtime& runtime, const PartnerArgs& args) {
    return operation_result(runtime.database().call(db::Outcome::commit, db::statements::partner_add,
                                                    require_text(args.id, "partner id", 64),
                                                    require_text(args.name, "partner name", 200)));
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
}

}  // namespace subctl::cli
