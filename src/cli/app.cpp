#include "cli/app.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cli/commands/commands.hpp"
#include "cli/validate.hpp"
#include "shared/text.hpp"
#include "shared/vocabulary.hpp"

namespace subctl::cli {

std::unique_ptr<CLI::App> make_app(Runtime& runtime) {
    auto app = std::make_unique<CLI::App>(
        "subctl — add licenses to and upgrade customers' Office 365 subscriptions "
        "(Partner Center operated by 21Vianet)",
        "subctl");
    app->require_subcommand(1);
    app->fallthrough();  // global options may also follow the command
    app->add_option("-o,--output", runtime.options.output, "Output format: table (default), json, csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    app->add_option("--db", runtime.options.db_url, "Database URL (else DATABASE_URL, PG* variables, config file)");
    app->add_option("--config", runtime.options.config_file, "Config file (else SUBCTL_CONFIG, config/subctl.toml)");
    app->add_option("--partner", runtime.options.partner, "Acting partner id (else SUBCTL_PARTNER, config file)");
    app->add_option("--operator", runtime.options.operator_name, "Operator name (else SUBCTL_OPERATOR, login name)");
    app->add_option("--replica", runtime.options.replica_url,
                    "Replica URL for reports, audit and listings (else SUBCTL_REPLICA_URL, config file)");
    app->add_option("--max-lag", runtime.options.max_lag,
                    "Seconds the replica may lag, else read the primary (else SUBCTL_MAX_LAG, config file; default 10)");
    app->add_flag("-q,--quiet", runtime.options.quiet, "No progress output");
    app->add_flag("--wide", runtime.options.wide,
                  "Tables: every column, values in full (a terminal otherwise gets the main columns, 120 wide)");

    setup_migrate(*app, runtime);
    setup_catalog(*app, runtime);
    setup_partner(*app, runtime);
    setup_customer(*app, runtime);
    setup_relationship(*app, runtime);
    setup_subscription(*app, runtime);
    setup_upgrade(*app, runtime);
    setup_licenses(*app, runtime);
    setup_user(*app, runtime);
    setup_license(*app, runtime);
    setup_batch(*app, runtime);
    setup_report(*app, runtime);
    setup_audit(*app, runtime);
    return app;
}

namespace {

// Options holding a time, checked here rather than by the server, whose complaint
// ("Perhaps you need a different datestyle setting") names no option.
const std::vector<std::string> time_options{"--since", "--until", "--expires"};

void collect(const CLI::App& app, std::vector<GivenArgument>& given) {
    for (const auto* option : app.get_options()) {
        if (option->count() == 0) continue;
        const auto name = option->get_name();
        for (const auto& value : option->results()) given.push_back({name, value});
    }
    for (const auto* sub : app.get_subcommands()) collect(*sub, given);
}

}  // namespace

std::string command_path(const CLI::App& app) {
    std::string path;
    for (const auto* sub = &app; !sub->get_subcommands().empty();) {
        sub = sub->get_subcommands().front();
        path += (path.empty() ? "" : " ") + sub->get_name();
    }
    return path;
}

std::vector<GivenArgument> given_arguments(const CLI::App& app) {
    std::vector<GivenArgument> given;
    collect(app, given);
    return given;
}

void check_arguments(const CLI::App& app) {
    for (const auto& [name, value] : given_arguments(app)) {
        require_utf8(value, name);
        if (std::find(time_options.begin(), time_options.end(), name) != time_options.end()) {
            require_timestamp(value, name);
        }
        // the length the request_ids table allows; no control character, as it is printed
        // back in results, the audit listing and retries
        if (name == "--request-id") require_text(value, "--request-id", sql::request_id_max_length);
    }
}

Error name_argument(const Error& error, const CLI::App& app) {
    if (error.value().empty() || error.code() != "invalid_value") return error;
    const auto given = given_arguments(app);
    // the argument that is the value, else one that holds it (--where days_left<=soon)
    auto found = std::find_if(given.begin(), given.end(), [&](const auto& g) { return g.value == error.value(); });
    if (found == given.end()) {
        found = std::find_if(given.begin(), given.end(),
                             [&](const auto& g) { return g.value.find(error.value()) != std::string::npos; });
    }
    if (found == given.end()) return error;
    std::string message = error.what();
    const auto quoted = "value '" + error.value() + "' ";
    const auto named = found->value == error.value() ? "of " + found->name + " "
                                                     : "of " + found->name + " " + found->value + " ";
    if (message.rfind(quoted, 0) == 0) message.insert(quoted.size(), named);
    return Error(error.exit(), error.code(), message, error.hint(), error.value());
}

}  // namespace subctl::cli
