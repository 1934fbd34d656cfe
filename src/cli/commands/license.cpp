// subctl license assign|unassign SUBSCRIPTION USER... (licenses add|remove, the quantity,
// is licenses.cpp)
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/mutation_flags.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"

namespace subctl::cli {

namespace {

struct LicenseArgs {
    std::string subscription;
    std::vector<std::string> users;
    MutationFlags flags;
};

CommandResult run_license_change(Runtime& runtime, const std::string& operation, const LicenseArgs& args) {
    auto users = nlohmann::json::array();
    for (const auto& user : args.users) users.push_back(require_text(user, "user", 320));
    const auto request_id = request_id_of(args.flags);
    return mutation_result(request_id, [&] {
        return runtime.database().call(args.flags.outcome(), db::statements::license_change, operation,
                                       args.subscription, users.dump(), request_id, args.flags.dry_run,
                                       args.flags.comment);
    });
}

}  // namespace

void setup_license(CLI::App& app, Runtime& runtime) {
    auto* license = app.add_subcommand("license", "Assign a subscription's licenses to users of its customer");
    license->require_subcommand(1);
    auto args = std::make_shared<LicenseArgs>();
    const std::pair<const char*, const char*> changes[] = {
        {"assign", "Give users a license of the subscription (all or none; never more than its quantity)"},
        {"unassign", "Take back users' licenses of the subscription (all or none)"}};
    for (const auto& [name, description] : changes) {
        const std::string operation = name;
        auto* command = add_command(*license, runtime, name, description, [&runtime, args, operation] {
            return run_license_change(runtime, operation, *args);
        });
        command->add_option("SUBSCRIPTION", args->subscription, id_or_prefix_help("Subscription"))
            ->required();
        command->add_option("USER", args->users, "Users: id or user principal name, one or more")->required();
        add_mutation_flags(command, args->flags, false);
    }
}

}  // namespace subctl::cli
