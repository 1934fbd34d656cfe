#include "cli/command_result.hpp"

namespace subctl::cli {

CommandResult operation_result(nlohmann::json result) {
    const auto status = result.value("status", std::string());
    const bool has_errors = result.contains("errors") && !result["errors"].empty();
    const Exit exit = status == "rejected" || (status == "dry_run" && has_errors) ? Exit::rejected : Exit::ok;
    CommandResult command{std::move(result), exit};
    // A refusal that names its case (logic.refusal): `code: message; hint` on stderr.
    if (exit != Exit::ok && has_errors && command.records.at("errors").size() == 1) {
        const auto& error = command.records.at("errors").at(0);
        if (error.is_object() && error.contains("message")) {
            command.failure = error.value("code", "") + ": " + error.value("message", "") +
                              (error.contains("hint") ? "; " + error.value("hint", "") : "");
        }
    }
    return command;
}

}  // namespace subctl::cli
