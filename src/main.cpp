// subctl — the admin binary. Parses the command line, runs the chosen command, prints
// its records, and turns every failure into one line and the exit code of SPEC 4.
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/app.hpp"
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
    if (result.exit == Exit::ok) return;
    if (!result.failure.empty()) {
        std::cerr << "subctl: " << result.failure << '\n';
        return;
    }
    if (!result.records.is_object() || !result.records.contains("errors")) return;
    std::string codes;
    for (const auto& error : result.records["errors"]) codes += (codes.empty() ? "" : ", ") + error.value("code", "");
    std::cerr << fmt::format("subctl: {}: {}\n", result.records.value("status", "rejected"), codes);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace subctl::cli;
    Runtime runtime;
    auto app = make_app(runtime);

    try {
        app->parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app->exit(e);
        return code == 0 ? 0 : static_cast<int>(Exit::usage);
    }

    Format format = Format::table;
    try {
        format = parse_format(runtime.options.output);
        const auto result = runtime.action();
        if (result.pages) {
            print_record_pages(std::cout, result.pages, format);
        } else {
            print_records(std::cout, result.records, format);
        }
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
