// subctl — the admin binary. Parses the command line, runs the chosen command, prints
// its records, and turns every failure into one line and the exit code of SPEC 4.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/output.hpp"
#include "cli/runtime.hpp"

namespace {

using subctl::Exit;

void report_error(const subctl::Error& error, subctl::cli::Format format) {
    std::cerr << fmt::format("subctl: {}: {}\n", error.code(), error.what());
    if (!error.hint().empty()) std::cerr << "hint: " << error.hint() << '\n';
    if (format == subctl::cli::Format::json) {
        nlohmann::json body = {{"status", "error"},
                               {"error", {{"code", error.code()}, {"message", error.what()}}},
                               {"exit_code", static_cast<int>(error.exit())}};
        std::cout << body.dump(2) << '\n';
    }
}

// A rejected operation's result goes to stdout like any other; stderr gets one line.
void report_rejection(const subctl::cli::CommandResult& result) {
    if (result.exit == Exit::ok || !result.records.is_object() || !result.records.contains("errors")) return;
    std::string codes;
    for (const auto& error : result.records["errors"]) codes += (codes.empty() ? "" : ", ") + error.value("code", "");
    std::cerr << fmt::format("subctl: {}: {}\n", result.records.value("status", "rejected"), codes);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace subctl::cli;
    Runtime runtime;
    CLI::App app{"subctl — add licenses to and upgrade customers' Office 365 subscriptions "
                 "(Partner Center operated by 21Vianet)",
                 "subctl"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may also follow the command
    app.add_option("-o,--output", runtime.options.output, "Output format: table (default), json, csv")
        ->check(CLI::IsMember({"table", "json", "csv"}));
    app.add_option("--db", runtime.options.db_url, "Database URL (else DATABASE_URL, PG* variables, config file)");
    app.add_option("--config", runtime.options.config_file, "Config file (else SUBCTL_CONFIG, config/subctl.toml)");
    app.add_option("--partner", runtime.options.partner, "Acting partner id (else SUBCTL_PARTNER, config file)");
    app.add_option("--operator", runtime.options.operator_name, "Operator name (else SUBCTL_OPERATOR, login name)");
    app.add_flag("-q,--quiet", runtime.options.quiet, "No progress output");

    setup_migrate(app, runtime);
    setup_catalog(app, runtime);
    setup_partner(app, runtime);
    setup_customer(app, runtime);
    setup_relationship(app, runtime);
    setup_subscription(app, runtime);
    setup_upgrade(app, runtime);
    setup_licenses(app, runtime);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : static_cast<int>(Exit::usage);
    }

    Format format = Format::table;
    try {
        format = parse_format(runtime.options.output);
        const auto result = runtime.action();
        print_records(std::cout, result.records, format);
        report_rejection(result);
        return static_cast<int>(result.exit);
    } catch (const subctl::Error& error) {
        report_error(error, format);
        return static_cast<int>(error.exit());
    } catch (const std::exception& error) {
        report_error(subctl::Error(Exit::internal, "internal_error", error.what()), format);
        return static_cast<int>(Exit::internal);
    }
}
