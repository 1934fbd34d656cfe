#pragma once
// Every statement subctl sends, by name. Each operation is one call of one API function
// (one round trip besides BEGIN/COMMIT); no SQL text is ever built from values. CUSTOMER
// and SUBSCRIPTION arguments are sent as the operator gave them and resolved in the same
// statement (api.customer_resolve, api.subscription_resolve: NULL stays NULL).
#include <cstddef>
#include <string_view>

namespace subctl::db {

// The highest $n of a statement's text: how many values each call must bind (a call
// with another count is a programming error, refused before anything is sent).
constexpr std::size_t parameter_count(std::string_view sql) {
    std::size_t highest = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] != '$') continue;
        std::size_t n = 0;
        while (i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') n = n * 10 + static_cast<std::size_t>(sql[++i] - '0');
        if (n > highest) highest = n;
    }
    return highest;
}

struct Statement {
    std::string_view name;
    std::string_view sql;
    std::size_t parameters = parameter_count(sql);
};

namespace statements {
inline constexpr Statement catalog_apply{"catalog_apply", "SELECT api.catalog_apply($1::jsonb, $2, $3)"};
inline constexpr Statement catalog{"catalog", "SELECT api.catalog()"};
inline constexpr Statement partner_add{"partner_add", "SELECT api.partner_add($1, $2, $3, $4)"};
inline constexpr Statement customer_add{"customer_add", "SELECT api.customer_add($1, $2::uuid, $3, $4, $5, $6)"};
inline constexpr Statement customers{"customers", "SELECT api.customers($1)"};
inline constexpr Statement customer{"customer", "SELECT api.customer($1)"};
inline constexpr Statement customer_link{"customer_link", "SELECT api.customer_link(api.customer_resolve($1), $2, $3, $4)"};
inline constexpr Statement relationship_change{"relationship_change",
                                               "SELECT api.relationship_change($1, api.customer_resolve($2), $3, $4::timestamptz, $5, $6, $7)"};
inline constexpr Statement relationships{"relationships", "SELECT api.relationships(api.customer_resolve($1))"};
inline constexpr Statement subscription_add{
    "subscription_add", "SELECT api.subscription_add(api.customer_resolve($1), $2, $3::bigint, $4, $5, $6, "
                        "api.subscription_resolve($7), $8, $9, $10)"};
inline constexpr Statement subscriptions{"subscriptions", "SELECT api.subscriptions(api.customer_resolve($1))"};
inline constexpr Statement subscription_change{"subscription_change",
                                               "SELECT api.subscription_change($1, api.subscription_resolve($2), $3, "
                                               "$4::bigint, $5, $6)"};
inline constexpr Statement upgrades{"upgrades",
                                    "SELECT api.upgrades(api.subscription_resolve($1), $2::bigint, api.subscription_resolve($3))"};
inline constexpr Statement upgrade{"upgrade",
                                   "SELECT api.upgrade(api.subscription_resolve($1), $2, $3::bigint, $4, $5::bigint, $6, $7, "
                                   "$8, api.subscription_resolve($9))"};
inline constexpr Statement licenses_change{"licenses_change",
                                           "SELECT api.licenses_change($1, api.subscription_resolve($2), $3::bigint, $4, "
                                           "$5::bigint, $6, $7)"};
// USER... as a JSON array of texts: each an id or a user principal name, resolved in the
// subscription's customer by the operation.
inline constexpr Statement user_add{"user_add",
                                    "SELECT api.user_add(api.customer_resolve($1), $2, $3, $4, $5, $6)"};
inline constexpr Statement users{"users", "SELECT api.users(api.customer_resolve($1))"};
inline constexpr Statement license_change{
    "license_change", "SELECT api.license_change($1, api.subscription_resolve($2), "
                      "ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), $4, $5, $6)"};
inline constexpr Statement partner_login_map{"partner_login_map", "SELECT api.partner_login_map($1, $2, $3, $4)"};
inline constexpr Statement reports{"reports", "SELECT api.reports()"};
inline constexpr Statement report_rows{"report_rows", "SELECT api.report_rows($1, $2::jsonb, $3::integer)"};
inline constexpr Statement audit_events{
    "audit_events", "SELECT api.audit_events(api.subscription_resolve($1), api.customer_resolve($2), $3::timestamptz, "
                    "$4::timestamptz, $5::integer)"};
inline constexpr Statement audit_verify{"audit_verify", "SELECT api.audit_verify(api.customer_resolve($1), $2::jsonb)"};
// Batches: staging (COPY in between), registration, one call per chunk, the outcome.
inline constexpr Statement batch_begin{"batch_begin", "SELECT api.batch_begin()"};
inline constexpr Statement batch_register{"batch_register", "SELECT api.batch_register($1, $2, $3, p_comment => $4)"};
inline constexpr Statement batch_apply_chunk{"batch_apply_chunk",
                                             "SELECT api.batch_apply_chunk($1, $2::bigint, $3::bigint, $4, $5)"};
inline constexpr Statement batch_finish{"batch_finish", "SELECT api.batch_finish($1)"};
inline constexpr Statement batches{"batches", "SELECT api.batches()"};
inline constexpr Statement batch{"batch", "SELECT api.batch($1)"};
inline constexpr Statement batch_rows{"batch_rows", "SELECT api.batch_rows($1, $2::bigint, $3::integer, $4)"};
// Replicas (SPEC 7.4): the state of a replica (and, given the primary's WAL position,
// whether it has replayed up to it), and the WAL position of the primary.
inline constexpr Statement replica_state{
    "replica_state",
    "SELECT jsonb_build_object('in_recovery', pg_is_in_recovery(), "
    "'replay_age_seconds', extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), "
    "'replay_paused', CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END, "
    "'replayed', CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() >= $1::pg_lsn ELSE true END)"};
inline constexpr Statement wal_position{
    "wal_position",
    "SELECT to_jsonb(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text)"};
// The Details page (SPEC 7.2) of a subscription named by its id or a unique prefix: what the
// guided upgrade starts from.
inline constexpr Statement subscription_details{"subscription_details",
                                                "SELECT api.subscription_details(api.subscription_resolve($1))"};
}  // namespace statements

}  // namespace subctl::db
