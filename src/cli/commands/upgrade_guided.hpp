#pragma once
// `subctl upgrade SUBSCRIPTION` without --to, on a terminal (SPEC 7.2): the source
// document's steps on the Details page. The subscription, its eligible targets numbered,
// a target by number, the number of licenses (default: the source's), what would happen
// (a dry run), a confirmation, then the upgrade. The answers come from a stream and the
// database through two functions, so that tests can drive every step with text.
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command_result.hpp"

namespace subctl::cli {

// One call of api.upgrade as the operator chose it.
struct UpgradeChoice {
    std::string subscription_id;  // the id of the Details page (the argument may be a prefix)
    std::string target_offer;
    long long quantity = 0;
    long long version = 0;  // the version shown: a change in between is refused (version_mismatch)
    bool dry_run = false;
};

struct GuidedUpgrade {
    std::function<nlohmann::json()> details;  // the Details page (api.subscription_details)
    std::function<CommandResult(const UpgradeChoice&)> upgrade;  // the very call of `upgrade --to`
    std::optional<long long> quantity;  // --quantity: offered as the default instead of the source's
    bool dry_run = false;               // --dry-run: ends with what would happen
};

// Walks the steps, asking on out and reading each answer (a line) from in. Returns the
// upgrade's result (with dry_run, the dry run's; a refusal is a rejected result). Throws
// Error (exit 1, nothing changed): no_eligible_target when no target may be chosen (each
// one's reasons and next steps printed first), aborted when the operator declines or the
// input ends (Ctrl-D).
CommandResult guided_upgrade(const GuidedUpgrade& guided, std::istream& in, std::ostream& out);

// True when both stdin and stdout are a terminal: the only place the guided upgrade asks.
bool on_terminal();

}  // namespace subctl::cli
