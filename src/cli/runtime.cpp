#include "cli/runtime.hpp"

#include <cstdlib>

#include <CLI/CLI.hpp>

#include "db/database.hpp"

#ifndef SUBCTL_SOURCE_DIR
#error "SUBCTL_SOURCE_DIR must be defined by the build"
#endif

namespace subctl::cli {

Runtime::Runtime() = default;
Runtime::~Runtime() = default;

const ResolvedConfig& Runtime::config() {
    if (!config_) config_ = resolve_config(options);
    return *config_;
}

db::Database& Runtime::database(const std::string& source) {
    if (!database_) {
        const auto& resolved = config();
        database_ = std::make_unique<db::Database>(
            resolved.db_url,
            db::SessionContext{resolved.partner, resolved.operator_name, source, resolved.db_url_source});
    }
    return *database_;
}

std::filesystem::path Runtime::home() const {
    if (const char* home = std::getenv("SUBCTL_HOME"); home != nullptr && *home != '\0') return home;
    return SUBCTL_SOURCE_DIR;
}

CLI::App* add_command(CLI::App& parent, Runtime& runtime, const std::string& name, const std::string& description,
                      std::function<CommandResult()> run) {
    auto* command = parent.add_subcommand(name, description);
    command->fallthrough();
    command->callback([&runtime, run = std::move(run)] { runtime.action = run; });
    return command;
}

}  // namespace subctl::cli
