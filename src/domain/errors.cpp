#include "domain/errors.hpp"

#include <array>
#include <string_view>

namespace subctl {

Error::Error(Exit exit, std::string code, const std::string& message, std::string hint)
    : std::runtime_error(message), exit_(exit), code_(std::move(code)), hint_(std::move(hint)) {}

namespace {

struct SqlstateMapping {
    std::string_view sqlstate;  // exact, or a two-character class
    std::string_view code;
    Exit exit;
};

// The project's codes (sql/00_errors.sql holds the same list with descriptions), then
// PostgreSQL's classes that can reach a user.
constexpr std::array<SqlstateMapping, 48> mappings{{
    {"SU001", "subscription_not_found", Exit::rejected},
    {"SU002", "offer_not_found", Exit::rejected},
    {"SU003", "customer_not_found", Exit::rejected},
    {"SU004", "partner_not_found", Exit::rejected},
    {"SU005", "relationship_not_found", Exit::rejected},
    {"SU006", "service_not_found", Exit::rejected},
    {"SU007", "batch_not_found", Exit::rejected},
    {"SU010", "subscription_does_not_have_any_upgrade_paths", Exit::rejected},
    {"SU011", "subscription_target_offer_not_found", Exit::rejected},
    {"SU012", "subscription_status_not_active", Exit::rejected},
    {"SU013", "subscription_not_provisioned", Exit::rejected},
    {"SU014", "not_reseller_of_record", Exit::rejected},
    {"SU015", "delegated_admin_permissions_disabled", Exit::rejected},
    {"SU016", "conflicting_service_types", Exit::rejected},
    {"SU017", "target_offer_already_owned", Exit::rejected},
    {"SU018", "subscription_add_ons_present", Exit::rejected},
    {"SU019", "offer_does_not_support_billing_cycle", Exit::rejected},
    {"SU020", "quantity_out_of_range", Exit::rejected},
    {"SU021", "version_mismatch", Exit::rejected},
    {"SU022", "request_id_reused", Exit::rejected},
    {"SU023", "quantity_cannot_be_decreased", Exit::rejected},
    {"SU024", "invalid_status_transition", Exit::rejected},
    {"SU025", "add_on_parent_invalid", Exit::rejected},
    {"SU030", "relationship_already_active", Exit::rejected},
    {"SU031", "relationship_exists", Exit::rejected},
    {"SU032", "invalid_relationship_transition", Exit::rejected},
    {"SU033", "relationship_expiry_out_of_range", Exit::rejected},
    {"SU034", "partner_exists", Exit::rejected},
    {"SU035", "customer_exists", Exit::rejected},
    {"SU036", "customer_already_linked", Exit::rejected},
    {"SU040", "partner_context_missing", Exit::config},
    {"SU042", "partner_not_permitted", Exit::config},
    {"SU041", "invalid_argument", Exit::data},
    {"SU060", "invalid_catalog", Exit::data},
    {"SU061", "upgrade_path_invalid", Exit::rejected},
    {"SU070", "audit_events_append_only", Exit::rejected},
    {"SU071", "audit_chain_broken", Exit::rejected},
    {"40001", "serialization_failure", Exit::temporary},
    {"40P01", "deadlock_detected", Exit::temporary},
    {"55P03", "lock_not_available", Exit::temporary},
    {"57014", "query_canceled", Exit::temporary},
    {"23505", "already_exists", Exit::rejected},
    {"23503", "not_found", Exit::rejected},
    {"42501", "permission_denied", Exit::rejected},
    {"23", "constraint_violation", Exit::data},
    {"22", "invalid_value", Exit::data},
    {"08", "database_unavailable", Exit::unavailable},
    {"57", "database_unavailable", Exit::unavailable},
}};

}  // namespace

Error error_from_sqlstate(const std::string& sqlstate, const std::string& message, const std::string& hint) {
    for (const auto& m : mappings) {
        if (sqlstate == m.sqlstate || (m.sqlstate.size() == 2 && sqlstate.compare(0, 2, m.sqlstate) == 0)) {
            return Error(m.exit, std::string(m.code), message, hint);
        }
    }
    return Error(Exit::internal, "database_error", message + " (SQLSTATE " + sqlstate + ")", hint);
}

bool is_retryable_sqlstate(const std::string& sqlstate) {
    return sqlstate == "40001" || sqlstate == "40P01";
}

}  // namespace subctl
