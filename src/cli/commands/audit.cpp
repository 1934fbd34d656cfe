// subctl audit [--subscription S] [--customer C] [--since TIME] [--until TIME] [--limit N]
#include "cli/runtime.hpp"

namespace subctl::cli {

namespace {

struct AuditArgs {
    std::optional<std::string> subscription;
    std::optional<std::string> customer;
    std::optional<std::string> since;
    std::optional<std::string> until;
    std::string limit = "1000";
};

CommandResult run_audit(Runtime& runtime, const AuditArgs& args) {
    return {runtime.database().call(db::Outcome::rollback, db::statements::audit_events,
                                    optional_uuid(args.subscription, "subscription id"),
                                    optional_uuid(args.customer, "customer id"), args.since, args.until,
                                    require_quantity(args.limit, "limit"))};
}

}  // namespace

void setup_audit(CLI::App& app, Runtime& runtime) {
    auto args = std::make_shared<AuditArgs>();
    auto* audit = add_command(app, runtime, "audit", "The acting partner's audit events, oldest first",
                              [&runtime, args] { return run_audit(runtime, *args); });
    audit->add_option("--subscription", args->subscription, "Only this subscription's events");
    audit->add_option("--customer", args->customer, "Only this customer's events");
    audit->add_option("--since", args->since, "From this time on (e.g. 2026-11-01 or 2026-11-01T08:00+08)");
    audit->add_option("--until", args->until, "Before this time");
    audit->add_option("--limit", args->limit, "The latest N events (default 1000)");
}

}  // namespace subctl::cli
