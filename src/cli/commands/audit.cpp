// subctl audit [--subscription S] [--customer C] [--since TIME] [--until TIME] [--limit N]
// subctl audit verify [--customer C] [--checkpoint FILE]
#include <fstream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_result.hpp"
#include "cli/commands/commands.hpp"
#include "cli/runtime.hpp"
#include "cli/validate.hpp"
#include "db/database.hpp"
#include "shared/errors.hpp"

namespace subctl::cli {

namespace {

struct AuditArgs {
    std::optional<std::string> subscription;
    std::optional<std::string> customer;
    std::optional<std::string> since;
    std::optional<std::string> until;
    std::string limit = "1000";
    std::optional<std::string> checkpoint;  // verify
};

CommandResult run_audit(Runtime& runtime, const AuditArgs& args) {
    return {runtime.read_database().call(db::Outcome::rollback, db::statements::audit_events, args.subscription,
                                         args.customer, args.since, args.until, require_quantity(args.limit, "limit"))};
}

// A checkpoint is what `audit verify -o json` printed earlier: an array of chain heads.
std::string read_checkpoint(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf())) {
        throw Error(Exit::data, "invalid_argument", fmt::format("--checkpoint {}: cannot be read", path));
    }
    nlohmann::json checkpoint;
    try {
        checkpoint = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("--checkpoint {}: not JSON (at byte {})", path, e.byte));
    }
    if (!checkpoint.is_array()) {
        throw Error(Exit::data, "invalid_argument",
                    fmt::format("--checkpoint {}: not the JSON array that `subctl -o json audit verify` prints", path));
    }
    return checkpoint.dump();
}

// Exit 1 naming the first broken chain when any is broken; the records list them all.
// Always on the primary, never on --replica: the proof is about the system of record, and
// a replica behind a kept checkpoint would report its newest events as removed.
CommandResult run_audit_verify(Runtime& runtime, const AuditArgs& args) {
    const std::optional<std::string> checkpoint =
        args.checkpoint ? std::optional<std::string>(read_checkpoint(*args.checkpoint)) : std::nullopt;
    auto chains = runtime.database().call(db::Outcome::rollback, db::statements::audit_verify, args.customer, checkpoint);
    CommandResult result{chains};
    for (const auto& chain : chains) {
        if (chain.value("status", "") != "ok") {
            result.exit = Exit::rejected;
            result.failure = fmt::format("audit_chain_broken: {}: {}", chain.value("chain", ""),
                                         chain.value("problem", ""));
            break;
        }
    }
    return result;
}

}  // namespace

void setup_audit(CLI::App& app, Runtime& runtime) {
    auto args = std::make_shared<AuditArgs>();
    auto* audit = add_command(app, runtime, "audit", "The acting partner's audit events, oldest first",
                              [&runtime, args] { return run_audit(runtime, *args); });
    audit->add_option("--subscription", args->subscription,
                      id_or_prefix_help("Only this subscription's events"));
    audit->add_option("--customer", args->customer, "Only this customer's events: id, primary domain or name");
    audit->add_option("--since", args->since, "From this time on (e.g. 2026-11-01 or 2026-11-01T08:00+08)");
    audit->add_option("--until", args->until, "Before this time");
    audit->add_option("--limit", args->limit, "The latest N events (default 1000)");
    auto* verify = add_command(*audit, runtime, "verify",
                               "Recompute the audit chains (tamper evidence): each chain's head is the checkpoint "
                               "to keep; exit 1 naming the first broken event",
                               [&runtime, args] { return run_audit_verify(runtime, *args); });
    verify->add_option("--customer", args->customer, "Only this customer's chain: id, primary domain or name");
    verify->add_option("--checkpoint", args->checkpoint,
                       "A kept earlier result (-o json): also catches the newest events removed");
    // `audit`'s own callback runs after its subcommand's: keep verify's action.
    audit->callback([&runtime, args, verify] {
        if (!verify->parsed()) runtime.action = [&runtime, args] { return run_audit(runtime, *args); };
    });
}

}  // namespace subctl::cli
