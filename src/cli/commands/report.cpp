// subctl report list | report show NAME [--where COLUMN<OP>VALUE]... [--limit N]
#include <regex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"
#include "shared/errors.hpp"

namespace subctl::cli {

namespace {

struct ReportArgs {
    std::string name;
    std::vector<std::string> where;
    std::optional<std::string> limit;
};

// "days_left<=30" -> {column, op, value}; the database checks the column and casts the value.
nlohmann::json parse_filter(const std::string& text) {
    static const std::regex filter{R"(^([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<>|!=|=|<|>)(.*)$)"};
    std::smatch match;
    if (!std::regex_match(text, match, filter)) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("--where '{}' is not COLUMN=VALUE (or <>, <, <=, >, >=)", text));
    }
    const std::string op = match[2] == "!=" ? "<>" : match[2].str();
    return {{"column", match[1].str()}, {"op", op}, {"value", match[3].str()}};
}

CommandResult run_report_show(Runtime& runtime, const ReportArgs& args) {
    auto filters = nlohmann::json::array();
    for (const auto& text : args.where) filters.push_back(parse_filter(text));
    const auto limit = optional_quantity(args.limit, "limit");
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::report_rows, args.name, filters.dump(),
                                    limit)};
}

}  // namespace

void setup_report(CLI::App& app, Runtime& runtime) {
    auto* report = app.add_subcommand("report", "SQL reports (views in schema report)");
    report->require_subcommand(1);
    auto args = std::make_shared<ReportArgs>();
    add_command(*report, runtime, "list", "List the reports with their summaries", [&runtime] {
        return CommandResult{runtime.read_database().call(db::Outcome::rollback, db::statements::reports)};
    });
    auto* show = add_command(*report, runtime, "show", "Print one report's rows",
                             [&runtime, args] { return run_report_show(runtime, *args); });
    show->add_option("NAME", args->name, "Report name (see report list)")->required();
    show->add_option("--where", args->where, "Filter COLUMN<OP>VALUE, op = <> < <= > >= (repeatable; = on a list means contains)");
    show->add_option("--limit", args->limit, "At most N rows");
}

}  // namespace subctl::cli
