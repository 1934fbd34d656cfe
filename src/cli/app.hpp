#pragma once
// The subctl command line: global options and every command group. Parsing fills
// runtime.options and chooses runtime.action; nothing runs until the action is called
// (which is what lets tests/fuzz/ parse hostile arguments without a database).
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/runtime.hpp"

namespace subctl::cli {

std::unique_ptr<CLI::App> make_app(Runtime& runtime);

}  // namespace subctl::cli
