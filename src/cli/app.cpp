#include "cli/app.hpp"

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
    app->add_flag("-q,--quiet", runtime.options.quiet, "No progress output");

    setup_migrate(*app, runtime);
    setup_catalog(*app, runtime);
    setup_partner(*app, runtime);
    setup_customer(*app, runtime);
    setup_relationship(*app, runtime);
    setup_subscription(*app, runtime);
    setup_upgrade(*app, runtime);
    setup_licenses(*app, runtime);
    setup_batch(*app, runtime);
    setup_report(*app, runtime);
    setup_audit(*app, runtime);
    return app;
}

}  // namespace subctl::cli
