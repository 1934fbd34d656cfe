#include "cli/command_result.hpp"

namespace subctl::cli {

CommandResult operation_result(nlohmann::json result) {
    const auto status = result.value("status", std::string());
    const bool has_errors = result.contains("errors") && !result["errors"].empty();
    const Exit exit = status == "rejected" || (status == "dry_run" && has_errors) ? Exit::rejected : Exit::ok;
    return {std::move(result), exit};
}

}  // namespace subctl::cli
