// subctl — the admin binary. Parses the command line, runs the chosen command, prints
// its records, and turns every failure into one line and the exit code of SPEC 4.
#include <iostream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/app.hpp"
#include "cli/output.hpp"
#include "cli/runtime.hpp"
#include "db/failure.hpp"
#include "shared/errors.hpp"
#include "shared/text.hpp"

namespace {

using subctl::Exit;

// SPEC 7.1: a failure is exactly one stderr line, so a value echoed into a message
// (a name with a newline, a terminal escape) is shown escaped, never as it is.
std::string one_line(const std::string& text) { return subctl::visible(text); }

void report_error(const subctl::Error& error, subctl::cli::Format format) {
    const auto hint = error.hint().empty() ? std::string() : "; " + error.hint();
    std::cerr << one_line(fmt::format("subctl: {}: {}{}", error.code(), error.what(), hint)) << '\n';
    if (format == subctl::cli::Format::json) {  // the error object of SPEC 7.2, as a refusal's
        const auto details = nlohmann::json::parse(error.details(), nullptr, false);
        nlohmann::json body = {
            {"status", "error"},
            {"error",
             {{"code", error.code()},
              {"description", error.what()},
              {"details", error.details().empty() ? nlohmann::json() : details.is_discarded() ? nlohmann::json(error.details()) : details},
              {"next_step", error.hint().empty() ? nlohmann::json() : nlohmann::json(error.hint())}}},
            {"exit_code", static_cast<int>(error.exit())}};
        std::cout << body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    }
}

// A rejected operation's result goes to stdout like any other; stderr gets one line.
void report_rejection(const subctl::cli::CommandResult& result) {
    if (result.exit == Exit::ok) return;
    if (!result.failure.empty()) {
        std::cerr << one_line("subctl: " + result.failure) << '\n';
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
    } catch (const CLI::Success& e) {  // --help
        return app->exit(e);
    } catch (const CLI::ParseError& e) {
        // CLI11's own message, on the one line every failure gets
        std::string message = e.what();
        for (char& c : message) c = c == '\n' ? ' ' : c;
        std::cerr << one_line(fmt::format("subctl: usage: {}; see subctl --help", message)) << '\n';
        return static_cast<int>(Exit::usage);
    }

    Format format = Format::table;
    try {
        format = parse_format(runtime.options.output);
        check_arguments(*app);
        const auto result = runtime.action();
        // A table on a terminal is for a person: the main columns, 120 wide; elsewhere (a
        // file, a pipe, --wide) every column in full, so nothing a script reads is cut.
        TableLayout layout{command_path(*app), false, 0, result.when_empty};
        if (!runtime.options.wide && isatty(STDOUT_FILENO) == 1) {
            layout.narrow = true;
            layout.width = terminal_width;
        }
        if (result.pages) {
            print_record_pages(std::cout, result.pages, format, layout);
        } else {
            print_records(std::cout, result.records, format, layout);
        }
        if (result.exit == Exit::ok) {
            for (const auto& notice : runtime.notices) std::cerr << one_line("subctl: " + notice) << '\n';
        }
        report_rejection(result);
        return static_cast<int>(result.exit);
    } catch (const subctl::Error& error) {
        report_error(name_argument(error, *app), format);
        return static_cast<int>(error.exit());
    } catch (const std::exception& error) {
        try {  // a database failure that escaped Database: still no raw text
            subctl::db::rethrow_as_domain_error();
        } catch (const subctl::Error& translated) {
            report_error(translated, format);
            return static_cast<int>(translated.exit());
        } catch (...) {
        }
        report_error(subctl::Error(Exit::internal, "internal_error", error.what()), format);
        return static_cast<int>(Exit::internal);
    }
}
