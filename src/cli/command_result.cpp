#include "cli/command_result.hpp"

namespace subctl::cli {

std::string error_line(const nlohmann::json& error) {
    auto line = error.value("code", "") + ": " + error.value("description", "");
    const auto next_step = error.value("next_step", nlohmann::json());
    if (next_step.is_string() && !next_step.get<std::string>().empty()) {
        line += (line.back() == '.' ? " " : ". ") + std::string("Next step: ") + next_step.get<std::string>();
    }
    return line;
}

CommandResult operation_result(nlohmann::json result) {
    const auto status = result.value("status", std::string());
    const bool has_errors = result.contains("errors") && !result["errors"].empty();
    const Exit exit = status == "rejected" || (status == "dry_run" && has_errors) ? Exit::rejected : Exit::ok;
    CommandResult command{std::move(result), exit};
    // One error: its sentence and next step on stderr (several: main names their codes,
    // and the records carry each one's sentence).
    if (exit != Exit::ok && has_errors && command.records.at("errors").size() == 1) {
        const auto& error = command.records.at("errors").at(0);
        if (error.is_object() && error.contains("description")) command.failure = error_line(error);
    }
    return command;
}

}  // namespace subctl::cli
