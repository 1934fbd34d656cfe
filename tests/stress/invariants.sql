-- The invariants that no interleaving of operations, crash or retry may break. Prints
-- one row per invariant (rows checked, violations) and fails (psql exit 3) on any
-- violation. Order of events per customer is the audit event id: every operation
-- writes its events while holding the customer's lock, so ids follow the commit order.
-- stdin: what a client saw, CSV request_id,partner_id,operation,outcome with outcome
-- succeeded | rejected | failed (definitely not applied) | unknown (connection lost).
-- Usage: psql -v ON_ERROR_STOP=1 -f invariants.sql < client-results.csv  (or < /dev/null)
\set QUIET 1
\pset footer off
CREATE TEMP TABLE client_results (request_id text, partner_id text, operation text, outcome text);
\copy client_results FROM pstdin WITH (FORMAT csv)

CREATE TEMP TABLE creation AS  -- the audit event that created each subscription
SELECT subscription_id, min(id) AS event_id
FROM core.audit_events WHERE entity = 'subscriptions' AND outcome = 'succeeded' AND subscription_version = 1
GROUP BY subscription_id;
CREATE INDEX ON creation (subscription_id);
ANALYZE creation;

CREATE TEMP TABLE results (invariant text, checked bigint, violations bigint);

-- 1. An upgrade never created a target that the rules forbade when it was created:
--    another in-force subscription of the customer (created before it, so in force then:
--    leaving force is terminal) of the target offer or with a plan the target adds.
INSERT INTO results
SELECT 'upgrade target was not forbidden (already owned / conflicting plans)',
       (SELECT count(*) FROM core.subscriptions WHERE upgraded_from_subscription_id IS NOT NULL),
       count(*)
FROM core.subscriptions t
JOIN creation tc ON tc.subscription_id = t.id
JOIN core.subscriptions src ON src.id = t.upgraded_from_subscription_id
JOIN core.subscriptions o ON o.customer_id = t.customer_id AND o.id NOT IN (t.id, src.id) AND logic.subscription_in_force(o.status, o.status_reason)
JOIN creation oc ON oc.subscription_id = o.id AND oc.event_id < tc.event_id
WHERE o.offer_id = t.offer_id
   OR EXISTS (SELECT 1 FROM core.offer_service_plans op WHERE op.offer_id = o.offer_id AND op.service_plan_id IN (
                  SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = t.offer_id
                  EXCEPT SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = src.offer_id));

-- 2. Every upgrade's source is replaced (suspended, reason upgraded; or cancelled since)
--    and the two point at each other.
INSERT INTO results
SELECT 'upgrade source suspended (upgraded) and linked both ways',
       count(*),
       count(*) FILTER (WHERE src.id IS NULL OR src.upgraded_to_subscription_id IS DISTINCT FROM t.id
                        OR NOT ((src.status = 'suspended' AND src.status_reason = 'upgraded') OR src.status = 'cancelled'))
FROM core.subscriptions t
LEFT JOIN core.subscriptions src ON src.id = t.upgraded_from_subscription_id
WHERE t.upgraded_from_subscription_id IS NOT NULL;
INSERT INTO results
SELECT 'replaced subscription points to a target that points back',
       count(*), count(*) FILTER (WHERE t.upgraded_from_subscription_id IS DISTINCT FROM s.id)
FROM core.subscriptions s LEFT JOIN core.subscriptions t ON t.id = s.upgraded_to_subscription_id
WHERE s.upgraded_to_subscription_id IS NOT NULL;

-- 3. Each version of each subscription has exactly one audit event: 1..version, no gap.
INSERT INTO results
SELECT 'one audit event per subscription version, gap-free', count(*),
       count(*) FILTER (WHERE coalesce(a.events, 0) <> s.version OR a.distinct_versions <> s.version
                        OR a.first_version <> 1 OR a.last_version <> s.version)
FROM core.subscriptions s
LEFT JOIN (SELECT subscription_id, count(*) AS events, count(DISTINCT subscription_version) AS distinct_versions,
                  min(subscription_version) AS first_version, max(subscription_version) AS last_version
           FROM core.audit_events WHERE entity = 'subscriptions' AND outcome = 'succeeded'
           GROUP BY subscription_id) a ON a.subscription_id = s.id;

-- 4. Quantities within the offer's range.
INSERT INTO results
SELECT 'quantity within the offer range', count(*),
       count(*) FILTER (WHERE s.quantity NOT BETWEEN o.min_quantity AND o.max_quantity)
FROM core.subscriptions s JOIN core.offers o ON o.id = s.offer_id;

-- 5. No upgrade succeeded while the partner's relationship for the customer and the
--    offer's service was not active (activated before, not ended before, not expired).
INSERT INTO results
SELECT 'upgrade only under an active relationship', count(*),
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM core.relationships r
           JOIN LATERAL (SELECT min(e.id) FILTER (WHERE e.changes -> 'status' ->> 1 = 'active') AS activated,
                                min(e.id) FILTER (WHERE e.changes -> 'status' ->> 1 IN ('removed', 'expired')) AS ended
                         FROM core.audit_events e
                         WHERE e.entity = 'relationships' AND e.entity_id = r.id::text AND e.customer_id = r.customer_id) ev ON true
           WHERE r.partner_id = t.partner_id AND r.customer_id = t.customer_id AND r.service_id = o.service_id
             AND ev.activated < tc.event_id AND (ev.ended IS NULL OR ev.ended > tc.event_id)
             AND r.expires_at > created.occurred_at))
FROM core.subscriptions t
JOIN creation tc ON tc.subscription_id = t.id
JOIN core.audit_events created ON created.id = tc.event_id
JOIN core.offers o ON o.id = t.offer_id
WHERE t.upgraded_from_subscription_id IS NOT NULL;

-- 6. Request ids: each stored once with a result its audit events agree with; no event
--    under a request id that was not remembered; no row changed twice by one request (a
--    license assignment's row is its subscription and user: an upgrade that moves it
--    removes one row and adds another). The platform's administrations are audited under
--    no partner and remember their request ids under logic.platform_request_key(). Every
--    stored request id has its events, an operation that changed nothing one of its own.
CREATE TEMP TABLE request_events AS
SELECT coalesce(partner_id, logic.platform_request_key()) AS partner_id, request_id,
       count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
       count(*) FILTER (WHERE outcome = 'succeeded')
       - count(DISTINCT (entity, entity_id, CASE WHEN entity = 'license_assignments' THEN subscription_id END))
             FILTER (WHERE outcome = 'succeeded') AS repeated
FROM core.audit_events WHERE request_id IS NOT NULL GROUP BY 1, request_id;
INSERT INTO results
--    A license assign or unassign writes one event per user whose license it changed,
--    and one with no changed fields when every user named already held (or did not
--    hold) one.
SELECT 'stored request id matches its audit events', count(*),
       count(*) FILTER (WHERE CASE WHEN q.operation IN ('assign_license', 'unassign_license')
                                        AND q.result ->> 'status' = 'succeeded'
                                   THEN coalesce(e.succeeded, 0) <> greatest(1, jsonb_array_length(coalesce(q.result -> 'assigned', q.result -> 'unassigned')))
                                        OR coalesce(e.rejected, 0) > 0 OR e.repeated > 0
                                   ELSE e.request_id IS NULL
                                        OR e.repeated > 0
                                        OR (q.result ->> 'status' = 'succeeded' AND (e.succeeded = 0 OR e.rejected > 0))
                                        OR (q.result ->> 'status' = 'rejected' AND (e.rejected <> 1 OR e.succeeded > 0)) END)
FROM core.request_ids q LEFT JOIN request_events e USING (partner_id, request_id);
INSERT INTO results
SELECT 'audit events under a request id that was remembered', count(*),
       count(*) FILTER (WHERE q.request_id IS NULL)
FROM request_events e LEFT JOIN core.request_ids q USING (partner_id, request_id);
INSERT INTO results
SELECT 'client outcome matches the stored request id', count(*),
       count(*) FILTER (WHERE CASE c.outcome
           WHEN 'succeeded' THEN q.result ->> 'status' IS DISTINCT FROM 'succeeded'
           WHEN 'rejected' THEN q.result ->> 'status' IS DISTINCT FROM 'rejected'
           WHEN 'failed' THEN q.request_id IS NOT NULL
           WHEN 'unknown' THEN false
           ELSE true END)
FROM client_results c LEFT JOIN core.request_ids q USING (partner_id, request_id);
INSERT INTO results
SELECT 'client request ids are unique', count(*), count(*) - count(DISTINCT (partner_id, request_id))
FROM client_results;

-- 7. The audit trail is whole: every event follows its chain (sql/20_integrity.sql).
INSERT INTO results
SELECT 'audit chains: every event follows its chain', count(*), count(*) FILTER (WHERE status <> 'ok')
FROM logic.audit_chains(NULL, NULL, NULL);

-- 8. Provenance: an event of source batch is a row of a real batch of the same partner,
--    under that row's request id.
INSERT INTO results
SELECT 'batch events belong to a batch row (partner, batch, request id)', count(*),
       count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM core.batch_rows b
                                          WHERE b.partner_id = e.partner_id AND b.batch_id = e.batch_id
                                            AND b.request_id = e.request_id))
FROM core.audit_events e WHERE e.source = 'batch';

-- 9. Users' licenses (SPEC 7.3). A subscription's assignments never exceed its quantity.
CREATE TEMP TABLE assigned AS
SELECT subscription_id, count(*) AS n FROM core.license_assignments GROUP BY subscription_id;
INSERT INTO results
SELECT 'license assignments within the subscription''s quantity', count(*), count(*) FILTER (WHERE a.n > s.quantity)
FROM assigned a JOIN core.subscriptions s ON s.id = a.subscription_id;
--    Every assignment is a user's of the subscription's own customer, on a subscription a
--    partner sold (csp) that is active or suspended: never pending (only an active one is
--    assigned, and pending never comes back), never cancelled (a cancel releases them).
--    Suspended: by the operator (suspension keeps them), or replaced by an upgrade that left
--    them there (below).
INSERT INTO results
SELECT 'license assignment: user of the subscription''s customer, csp, active or suspended', count(*),
       count(*) FILTER (WHERE s.id IS NULL OR u.id IS NULL OR u.customer_id <> s.customer_id
                        OR a.customer_id <> s.customer_id OR s.channel <> 'csp' OR s.partner_id IS NULL
                        OR s.status NOT IN ('active', 'suspended'))
FROM core.license_assignments a
LEFT JOIN core.subscriptions s ON s.id = a.subscription_id
LEFT JOIN core.users u ON u.id = a.user_id;
--    A source replaced by an upgrade holds assignments only when its upgrade left them
--    (upgrade_only: the request's parameters say license_transfer false); an upgrade that
--    transferred them left none. The upgrade is the audit event that suspended the source.
INSERT INTO results
SELECT 'a replaced source holds licenses only after an upgrade without transfer', count(*),
       count(*) FILTER (WHERE a.n > 0 AND (q.parameters ->> 'license_transfer') IS DISTINCT FROM 'false')
FROM core.subscriptions s
JOIN assigned a ON a.subscription_id = s.id
LEFT JOIN core.audit_events e ON e.subscription_id = s.id AND e.entity = 'subscriptions' AND e.operation = 'upgrade'
                             AND e.outcome = 'succeeded' AND e.changes -> 'status' ->> 1 = 'suspended'
LEFT JOIN core.request_ids q ON q.partner_id = e.partner_id AND q.request_id = e.request_id
WHERE s.upgraded_to_subscription_id IS NOT NULL;
--    What an upgrade took off its source it put on the target, user by user: each
--    assignment event of an upgrade that removed one has its twin that added the user's
--    license to the source's target.
INSERT INTO results
SELECT 'an upgrade moved each license it took off its source to the target', count(*),
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT 1 FROM core.audit_events i
           WHERE i.customer_id = d.customer_id AND i.entity = 'license_assignments' AND i.operation = 'upgrade'
             AND i.entity_id = d.entity_id AND i.subscription_id = s.upgraded_to_subscription_id
             AND i.changes -> 'subscription_id' ->> 0 IS NULL))
FROM core.audit_events d
LEFT JOIN core.subscriptions s ON s.id = d.subscription_id
WHERE d.entity = 'license_assignments' AND d.operation = 'upgrade' AND d.changes -> 'subscription_id' ->> 1 IS NULL;

SELECT invariant, checked, violations FROM results ORDER BY violations DESC, invariant;
DO $$
DECLARE
    v_violations bigint := (SELECT sum(violations) FROM results);
BEGIN
    IF v_violations > 0 THEN
        RAISE EXCEPTION 'invariants: % violation(s)', v_violations;
    END IF;
END $$;
