#include "cli/runtime.hpp"

#include <cstdlib>
#include <limits>
#include <regex>

#include <fmt/format.h>

#include "domain/text.hpp"

#ifndef SUBCTL_SOURCE_DIR
#error "SUBCTL_SOURCE_DIR must be defined by the build"
#endif

namespace subctl::cli {

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

void add_mutation_flags(CLI::App* command, MutationFlags& flags, bool with_version) {
    command->add_option("--request-id", flags.request_id,
                        "Idempotency key: a repeat returns the first result and changes nothing");
    command->add_flag("--dry-run", flags.dry_run, "Run the very same code, roll it back, report what would happen");
    if (with_version) {
        command->add_option("--if-version", flags.if_version,
                            "Refuse (version_mismatch) unless the subscription is at this version");
    }
}

CommandResult operation_result(nlohmann::json result) {
    const auto status = result.value("status", std::string());
    const bool has_errors = result.contains("errors") && !result["errors"].empty();
    const Exit exit = status == "rejected" || (status == "dry_run" && has_errors) ? Exit::rejected : Exit::ok;
    return {std::move(result), exit};
}

}  // namespace subctl::cli
