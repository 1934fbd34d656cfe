#pragma once
// The subctl command line: global options and every command group. Parsing fills
// runtime.options and chooses runtime.action; nothing runs until the action is called
// (which is what lets tests/fuzz/ parse hostile arguments without a database).
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/runtime.hpp"
#include "shared/errors.hpp"

namespace subctl::cli {

std::unique_ptr<CLI::App> make_app(Runtime& runtime);

// Checks every argument given to the parsed command line before anything runs: each is
// UTF-8 text, each time option a date or time, a request id not too long. Exit 65
// naming the option.
void check_arguments(const CLI::App& app);

// An argument given on the parsed command line, e.g. {"--since", "yesterday"}.
struct GivenArgument {
    std::string name;
    std::string value;
};
std::vector<GivenArgument> given_arguments(const CLI::App& app);

// The parsed command, e.g. "subscription list": names the listing a table shows (output.cpp).
std::string command_path(const CLI::App& app);

// A database error about a value (class 22) names the argument that holds the value.
Error name_argument(const Error& error, const CLI::App& app);

}  // namespace subctl::cli
