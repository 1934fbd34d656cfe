-- SQL reporting (SPEC 4): documented views in schema report, for psql or any BI tool.
-- Each view shows the acting partner's data only. The views belong to the role
-- subctl_report_owner (sql/90_access.sql), which is bound by the row-level-security
-- policies on the tables; what needs the rules over every channel's subscriptions reads
-- core.upgrade_options (sql/35_upgrade_options.sql), which holds error codes and never
-- the other party.

-- The subscription events of the audit trail, with before/after read off the changes: the
-- events alone (each records its offer), through the index by partner.
CREATE VIEW report.subscription_history AS
SELECT a.id AS event_id, a.occurred_at, a.operation, a.outcome, a.error_codes,
       a.operator, a.login_role, a.source, a.customer_id, a.subscription_id,
       a.offer_id,
       (a.changes -> 'quantity' ->> 0)::bigint AS quantity_before,
       (a.changes -> 'quantity' ->> 1)::bigint AS quantity_after,
       a.changes -> 'status' ->> 0 AS status_before,
       a.changes -> 'status' ->> 1 AS status_after,
       a.changes -> 'requested' AS requested,
       a.request_id, a.batch_id
FROM core.audit_events a
WHERE a.entity = 'subscriptions';
COMMENT ON VIEW report.subscription_history IS
'Every attempted change of a subscription: who, when, how (cli, batch, sql), before and after, outcome.
One row per audit event on a subscription of the acting partner, rejections included.';
COMMENT ON COLUMN report.subscription_history.event_id IS 'The audit event (core.audit_events.id).';
COMMENT ON COLUMN report.subscription_history.occurred_at IS 'When the event was recorded.';
COMMENT ON COLUMN report.subscription_history.operation IS 'upgrade, add_licenses, remove_licenses, suspend, reactivate, cancel, activate, add_subscription, or sql_* for a direct SQL write.';
COMMENT ON COLUMN report.subscription_history.outcome IS 'succeeded or rejected.';
COMMENT ON COLUMN report.subscription_history.error_codes IS 'The error codes of a rejection; empty when it succeeded.';
COMMENT ON COLUMN report.subscription_history.operator IS 'The operator recorded (a mapped login is recorded under its own name).';
COMMENT ON COLUMN report.subscription_history.login_role IS 'The database login that made the change.';
COMMENT ON COLUMN report.subscription_history.source IS 'cli, batch or sql.';
COMMENT ON COLUMN report.subscription_history.customer_id IS 'The customer tenant.';
COMMENT ON COLUMN report.subscription_history.subscription_id IS 'The subscription changed (or whose change was refused).';
COMMENT ON COLUMN report.subscription_history.offer_id IS 'The subscription''s offer at the time (after the change).';
COMMENT ON COLUMN report.subscription_history.quantity_before IS 'Licenses before; NULL when unchanged or new.';
COMMENT ON COLUMN report.subscription_history.quantity_after IS 'Licenses after; NULL when unchanged.';
COMMENT ON COLUMN report.subscription_history.status_before IS 'Status before; NULL when unchanged or new.';
COMMENT ON COLUMN report.subscription_history.status_after IS 'Status after; NULL when unchanged.';
COMMENT ON COLUMN report.subscription_history.requested IS 'The parameters of a rejected request.';
COMMENT ON COLUMN report.subscription_history.request_id IS 'The request id (idempotency key), if any.';
COMMENT ON COLUMN report.subscription_history.batch_id IS 'The batch that made the change, if any.';

-- Read off the audit event of each target: its creation (its changes hold the target's
-- offer, quantity and source) or, upgraded into an existing subscription, the growth of
-- its quantity (a partial index of their own, migrations 004 and 019). The source of such
-- a growth is the subscription whose upgrade event, the customer's next that names the
-- target, comes right after it in the same statement (the customer's events, from the
-- target's on). Joined with the sources: the subscriptions an upgrade replaced (linked
-- to their target; a partial index of their own, migration 007).
CREATE VIEW report.upgrade_history AS
SELECT a.occurred_at AS upgraded_at, a.operator, a.login_role, a.source, a.customer_id,
       s.id AS from_subscription_id, s.offer_id AS from_offer_id, s.quantity AS from_quantity,
       a.subscription_id AS to_subscription_id, a.changes -> 'offer_id' ->> 1 AS to_offer_id,
       (a.changes -> 'quantity' ->> 1)::bigint AS to_quantity, a.request_id, a.batch_id, false AS into_existing
FROM core.audit_events a
JOIN core.subscriptions s ON s.id = (a.changes -> 'upgraded_from_subscription_id' ->> 1)::uuid
                         AND s.upgraded_to_subscription_id IS NOT NULL
WHERE a.entity = 'subscriptions' AND a.operation = 'upgrade' AND a.outcome = 'succeeded'
  AND a.changes ? 'upgraded_from_subscription_id'
UNION ALL
SELECT a.occurred_at, a.operator, a.login_role, a.source, a.customer_id,
       s.id, s.offer_id, s.quantity,
       a.subscription_id, a.offer_id, (a.changes -> 'quantity' ->> 1)::bigint, a.request_id, a.batch_id, true
FROM core.audit_events a
CROSS JOIN LATERAL (
    SELECT e.subscription_id FROM core.audit_events e
    WHERE e.customer_id = a.customer_id AND e.id > a.id
      AND e.entity = 'subscriptions' AND e.operation = 'upgrade' AND e.outcome = 'succeeded'
      AND e.changes -> 'upgraded_to_subscription_id' ->> 1 = a.subscription_id::text
    ORDER BY e.id LIMIT 1) f
JOIN core.subscriptions s ON s.id = f.subscription_id AND s.upgraded_to_subscription_id IS NOT NULL
WHERE a.entity = 'subscriptions' AND a.operation = 'upgrade' AND a.outcome = 'succeeded'
  AND a.changes ? 'quantity' AND NOT a.changes ? 'upgraded_from_subscription_id';
COMMENT ON VIEW report.upgrade_history IS
'Every upgrade the acting partner made, into a new subscription or into an existing one (upgrade --into): who, when, from which subscription and offer to which, quantities.';
COMMENT ON COLUMN report.upgrade_history.upgraded_at IS 'When the upgrade committed.';
COMMENT ON COLUMN report.upgrade_history.operator IS 'The operator recorded.';
COMMENT ON COLUMN report.upgrade_history.login_role IS 'The database login that made it.';
COMMENT ON COLUMN report.upgrade_history.source IS 'cli, batch or sql.';
COMMENT ON COLUMN report.upgrade_history.customer_id IS 'The customer tenant.';
COMMENT ON COLUMN report.upgrade_history.from_subscription_id IS 'The source subscription (now suspended, reason upgraded).';
COMMENT ON COLUMN report.upgrade_history.from_offer_id IS 'The source offer.';
COMMENT ON COLUMN report.upgrade_history.from_quantity IS 'The source''s licenses.';
COMMENT ON COLUMN report.upgrade_history.to_subscription_id IS 'The target subscription: the one created, or the existing one upgraded into.';
COMMENT ON COLUMN report.upgrade_history.to_offer_id IS 'The target offer.';
COMMENT ON COLUMN report.upgrade_history.to_quantity IS
'The target''s licenses right after the upgrade: those it was created with, or, upgraded into an existing subscription, its licenses grown by those added (not the licenses added alone).';
COMMENT ON COLUMN report.upgrade_history.request_id IS 'The request id, if any.';
COMMENT ON COLUMN report.upgrade_history.batch_id IS 'The batch, if any.';
COMMENT ON COLUMN report.upgrade_history.into_existing IS
'Whether the upgrade went into an existing subscription (upgrade --into), which grew, rather than creating the target.';

-- The mask that holds now is chosen in a lateral subquery the planner memoizes on the
-- expiry and both masks (one call per distinct expiry: a few where relationships share
-- theirs, one per row at worst), and its codes are looked up in another memoized on the
-- mask alone: a few dozen lookups, not one per row.
CREATE VIEW report.upgrade_options AS
SELECT o.subscription_id, o.customer_id, c.name AS customer_name, o.source_offer_id, o.target_offer_id,
       cardinality(d.error_codes) = 0 AS eligible, d.error_codes
FROM core.upgrade_options o
JOIN core.customers c ON c.id = o.customer_id
CROSS JOIN LATERAL (SELECT logic.by_relationship_now(o.relationship_expires_at, o.error_mask_related,
                                                     o.error_mask_unrelated) AS mask OFFSET 0) n
CROSS JOIN LATERAL (SELECT logic.error_codes_of(n.mask) AS error_codes OFFSET 0) d;
COMMENT ON VIEW report.upgrade_options IS
'Every upgrade path of every subscription the acting partner sold and that is in force: eligible or the errors.
The same rules as subctl upgrades and subctl upgrade (logic.upgrade_path_facts, stored in core.upgrade_options).';
COMMENT ON COLUMN report.upgrade_options.subscription_id IS 'The source subscription.';
COMMENT ON COLUMN report.upgrade_options.customer_id IS 'The customer tenant.';
COMMENT ON COLUMN report.upgrade_options.customer_name IS 'The customer''s name.';
COMMENT ON COLUMN report.upgrade_options.source_offer_id IS 'The source subscription''s offer.';
COMMENT ON COLUMN report.upgrade_options.target_offer_id IS 'An upgrade path''s target offer.';
COMMENT ON COLUMN report.upgrade_options.eligible IS 'Whether the upgrade would pass every rule now (quantity aside).';
COMMENT ON COLUMN report.upgrade_options.error_codes IS 'Every error code that applies (filter with --where error_codes=CODE).';

-- Counted on the stored bit masks of the paths' codes (logic.error_mask): ORed per
-- subscription and per customer, then each code counted where its bit is set; not a
-- distinct count of subscriptions and customers over every (path, code) pair. The mask
-- that holds now is chosen in a lateral subquery memoized on the expiry and both masks,
-- as in report.upgrade_options (a few calls where relationships share their expiry, one
-- per path at worst).
CREATE VIEW report.blocked_upgrades AS
WITH paths AS MATERIALIZED (
    SELECT o.subscription_id, o.customer_id, n.mask
    FROM core.upgrade_options o
    CROSS JOIN LATERAL (
        SELECT logic.by_relationship_now(o.relationship_expires_at, o.error_mask_related, o.error_mask_unrelated) AS mask
        OFFSET 0) n),
per_path AS MATERIALIZED (SELECT mask, count(*) AS n FROM paths GROUP BY mask),
per_subscription AS MATERIALIZED (
    SELECT m AS mask, count(*) AS n FROM (SELECT bit_or(mask) AS m FROM paths GROUP BY subscription_id) x GROUP BY m),
per_customer AS MATERIALIZED (
    SELECT m AS mask, count(*) AS n FROM (SELECT bit_or(mask) AS m FROM paths GROUP BY customer_id) x GROUP BY m),
codes AS (SELECT e.code, logic.error_bit(e.sqlstate) AS bit FROM core.error_codes e)
SELECT c.code AS error_code,
       (SELECT sum(n) FROM per_subscription WHERE mask & c.bit <> 0)::bigint AS subscriptions,
       (SELECT sum(n) FROM per_path WHERE mask & c.bit <> 0)::bigint AS upgrade_paths,
       (SELECT sum(n) FROM per_customer WHERE mask & c.bit <> 0)::bigint AS customers,
       coalesce((SELECT sum(n) FROM per_path WHERE mask = c.bit), 0)::bigint AS paths_blocked_by_this_alone
FROM codes c
WHERE EXISTS (SELECT FROM per_path WHERE mask & c.bit <> 0);
COMMENT ON VIEW report.blocked_upgrades IS
'How many subscriptions, upgrade paths and customers each rule blocks: what to work on first.';
COMMENT ON COLUMN report.blocked_upgrades.error_code IS 'The rule (error code).';
COMMENT ON COLUMN report.blocked_upgrades.subscriptions IS 'Subscriptions with at least one upgrade path blocked by it.';
COMMENT ON COLUMN report.blocked_upgrades.upgrade_paths IS '(subscription, target) pairs blocked by it.';
COMMENT ON COLUMN report.blocked_upgrades.customers IS 'Customers affected.';
COMMENT ON COLUMN report.blocked_upgrades.paths_blocked_by_this_alone IS 'Pairs that clearing this rule alone would make eligible.';

-- The rows of report.licenses. Per customer first (a customer's subscriptions of one
-- group: with the covering customer index, presorted but for the seller), then per
-- group: the customers are the customer rows, with no distinct count over the whole set.
-- Grouped by whether the partner sold them, not by seller: two other resellers'
-- subscriptions of one customer are one customer. Planned for data in memory
-- (random_page_cost 1.1): at the default the planner prefers a sequential scan and a hash
-- aggregate that spills, slower than reading in index order (figure 5 of make bench).
-- Owned by subctl_report_owner (sql/90_access.sql) like the views: the row-level
-- security policies scope it to the acting partner.
CREATE OR REPLACE FUNCTION logic.partner_licenses()
RETURNS TABLE (offer_id text, offer_name text, channel text, status text, sold_by_you boolean,
               subscriptions bigint, licenses bigint, customers bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET random_page_cost = 1.1 AS $$
    SELECT g.offer_id, o.name, g.channel, g.status, g.sold_by_you, g.subscriptions, g.licenses, g.customers
    FROM (SELECT x.offer_id, x.channel, x.status, x.sold_by_you,
                 sum(x.subscriptions)::bigint AS subscriptions, sum(x.licenses)::bigint AS licenses, count(*) AS customers
          FROM (SELECT s.customer_id, s.offer_id, s.channel, s.status,
                       s.partner_id IS NOT DISTINCT FROM (SELECT logic.acting_partner()) AS sold_by_you,
                       count(*) AS subscriptions, sum(s.quantity) AS licenses
                FROM core.subscriptions s
                GROUP BY s.customer_id, s.offer_id, s.channel, s.status, sold_by_you) x
          GROUP BY x.offer_id, x.channel, x.status, x.sold_by_you) g
    JOIN core.offers o ON o.id = g.offer_id
$$;

CREATE VIEW report.licenses AS SELECT * FROM logic.partner_licenses();
COMMENT ON VIEW report.licenses IS
'Subscriptions and licenses of the acting partner''s customers by offer, channel and status.
Subscriptions sold by another reseller count under their channel without naming it.';
COMMENT ON COLUMN report.licenses.offer_id IS 'The offer.';
COMMENT ON COLUMN report.licenses.offer_name IS 'The offer''s name.';
DO $$
BEGIN
    EXECUTE format('COMMENT ON COLUMN report.licenses.channel IS %L', logic.one_of(core.channels()) || '.');
    EXECUTE format('COMMENT ON COLUMN report.licenses.status IS %L', logic.one_of(core.subscription_statuses()) || '.');
END $$;
COMMENT ON COLUMN report.licenses.sold_by_you IS 'Whether the acting partner is the reseller of record.';
COMMENT ON COLUMN report.licenses.subscriptions IS 'Number of subscriptions.';
COMMENT ON COLUMN report.licenses.licenses IS 'Sum of their license quantities.';
COMMENT ON COLUMN report.licenses.customers IS 'Number of customers holding them.';

-- The users of the acting partner's customers who hold no license of an active
-- subscription: whom to assign one. A license of a subscription that is not active does
-- not count (left on a source by an upgrade without license transfer, or of a
-- subscription the operator suspended); those are shown apart. Licenses of any reseller's
-- subscriptions count, as users belong to the customer, not to a partner. One pass over
-- the assignments, each looked up among the few subscriptions not active (their own
-- index, migration 016): a user holds no active license when all it holds are of those.
CREATE VIEW report.users_without_license AS
SELECT u.id AS user_id, u.customer_id, c.name AS customer_name, u.upn, u.display_name, u.created_at,
       coalesce(h.not_active, 0) AS licenses_not_active
FROM core.users u
JOIN core.customers c ON c.id = u.customer_id
LEFT JOIN (SELECT a.user_id, count(*) AS held, count(n.id) AS not_active
           FROM core.license_assignments a
           LEFT JOIN (SELECT s.id FROM core.subscriptions s WHERE s.status <> 'active') n ON n.id = a.subscription_id
           GROUP BY a.user_id) h ON h.user_id = u.id
WHERE coalesce(h.held, 0) = coalesce(h.not_active, 0);
COMMENT ON VIEW report.users_without_license IS
'Users of the acting partner''s customers who hold no license of an active subscription: whom to assign one.
Licenses they hold of subscriptions not active (left by an upgrade without license transfer) are counted apart.';
COMMENT ON COLUMN report.users_without_license.user_id IS 'The user.';
COMMENT ON COLUMN report.users_without_license.customer_id IS 'The user''s customer tenant.';
COMMENT ON COLUMN report.users_without_license.customer_name IS 'The customer''s name.';
COMMENT ON COLUMN report.users_without_license.upn IS 'The user principal name.';
COMMENT ON COLUMN report.users_without_license.display_name IS 'The user''s name, if recorded.';
COMMENT ON COLUMN report.users_without_license.created_at IS 'When the user was added.';
COMMENT ON COLUMN report.users_without_license.licenses_not_active IS
'Licenses the user holds of subscriptions not active (suspended: to reassign after an upgrade without license transfer); 0: none at all.';

-- The licenses of each subscription the acting partner sold, against the users holding
-- them (SPEC 7.3). The subscriptions in force (not cancelled, not replaced by an
-- upgrade), and a replaced source only while users still hold its licenses (an upgrade
-- without license transfer left them there, to be reassigned): a replaced source's
-- licenses are no longer the customer's. The assignments are counted in one pass and
-- joined by hash: a count per subscription through the primary key would be one index
-- probe (and a heap fetch for the row-level-security policy) per subscription.
CREATE VIEW report.license_utilization AS
SELECT s.id AS subscription_id, s.customer_id, c.name AS customer_name, s.offer_id, s.status, s.status_reason,
       s.quantity AS purchased, coalesce(a.assigned, 0) AS assigned, s.quantity - coalesce(a.assigned, 0) AS unassigned,
       round(100.0 * coalesce(a.assigned, 0) / s.quantity, 1) AS assigned_percent
FROM core.subscriptions s
JOIN core.customers c ON c.id = s.customer_id
LEFT JOIN (SELECT x.subscription_id, count(*) AS assigned FROM core.license_assignments x GROUP BY x.subscription_id) a
       ON a.subscription_id = s.id
WHERE s.partner_id = (SELECT logic.acting_partner()) AND s.status <> 'cancelled'
  AND (s.status_reason IS DISTINCT FROM 'upgraded' OR a.assigned > 0);
COMMENT ON VIEW report.license_utilization IS
'Licenses purchased, assigned to users and unassigned, per subscription the acting partner sold that is in force.
A source replaced by an upgrade is listed only while users still hold its licenses (upgraded without license transfer:
reassign them). The partner''s totals: report license_utilization_totals.';
COMMENT ON COLUMN report.license_utilization.subscription_id IS 'The subscription.';
COMMENT ON COLUMN report.license_utilization.customer_id IS 'The customer tenant.';
COMMENT ON COLUMN report.license_utilization.customer_name IS 'The customer''s name.';
COMMENT ON COLUMN report.license_utilization.offer_id IS 'The subscription''s offer.';
COMMENT ON COLUMN report.license_utilization.status IS 'active, suspended or pending.';
COMMENT ON COLUMN report.license_utilization.status_reason IS 'Why it is suspended: operator, or upgraded (replaced by an upgrade).';
COMMENT ON COLUMN report.license_utilization.purchased IS 'Licenses purchased (the subscription''s quantity).';
COMMENT ON COLUMN report.license_utilization.assigned IS 'Licenses assigned to users (subctl license assign).';
COMMENT ON COLUMN report.license_utilization.unassigned IS 'Licenses purchased and not assigned: purchased - assigned.';
COMMENT ON COLUMN report.license_utilization.assigned_percent IS 'assigned / purchased in percent, one decimal (filter with --where assigned_percent<50).';

-- One row whatever the data: the sums over the rows of report.license_utilization, from
-- the tables (the customers' names are not needed): the active subscriptions', and what
-- users hold of suspended ones apart.
CREATE VIEW report.license_utilization_totals AS
SELECT count(*) FILTER (WHERE s.status = 'active') AS subscriptions,
       count(DISTINCT s.customer_id) FILTER (WHERE s.status = 'active') AS customers,
       coalesce(sum(s.quantity) FILTER (WHERE s.status = 'active'), 0)::bigint AS purchased,
       coalesce(sum(a.assigned) FILTER (WHERE s.status = 'active'), 0)::bigint AS assigned,
       coalesce(sum(s.quantity - coalesce(a.assigned, 0)) FILTER (WHERE s.status = 'active'), 0)::bigint AS unassigned,
       coalesce(round(100.0 * sum(coalesce(a.assigned, 0)) FILTER (WHERE s.status = 'active')
                      / nullif(sum(s.quantity) FILTER (WHERE s.status = 'active'), 0), 1), 0) AS assigned_percent,
       coalesce(sum(a.assigned) FILTER (WHERE s.status = 'suspended'), 0)::bigint AS assigned_on_suspended
FROM core.subscriptions s
LEFT JOIN (SELECT x.subscription_id, count(*) AS assigned FROM core.license_assignments x GROUP BY x.subscription_id) a
       ON a.subscription_id = s.id
WHERE s.partner_id = (SELECT logic.acting_partner()) AND s.status IN ('active', 'suspended');
COMMENT ON VIEW report.license_utilization_totals IS
'The acting partner''s license totals, one row: its active subscriptions'' licenses purchased, assigned and unassigned
(the sums of report license_utilization), and those users hold of its suspended subscriptions.';
COMMENT ON COLUMN report.license_utilization_totals.subscriptions IS 'Active subscriptions the partner sold.';
COMMENT ON COLUMN report.license_utilization_totals.customers IS 'Customers holding them.';
COMMENT ON COLUMN report.license_utilization_totals.purchased IS 'Their licenses purchased.';
COMMENT ON COLUMN report.license_utilization_totals.assigned IS 'Of those, assigned to users.';
COMMENT ON COLUMN report.license_utilization_totals.unassigned IS 'Of those, not assigned: purchased - assigned.';
COMMENT ON COLUMN report.license_utilization_totals.assigned_percent IS 'assigned / purchased in percent, one decimal; 0 without licenses.';
COMMENT ON COLUMN report.license_utilization_totals.assigned_on_suspended IS
'Licenses users hold of the partner''s suspended subscriptions (left by an upgrade without license transfer, or suspended).';

CREATE VIEW report.relationships_expiring AS
SELECT r.id AS relationship_id, r.customer_id, c.name AS customer_name, r.service_id, r.activated_at, r.expires_at,
       (r.expires_at::date - current_date) AS days_left
FROM core.relationships r
JOIN core.customers c ON c.id = r.customer_id
WHERE r.status = 'active' AND r.expires_at > statement_timestamp();
COMMENT ON VIEW report.relationships_expiring IS
'The acting partner''s active delegated-admin relationships by expiry (filter with --where days_left<=N).';
COMMENT ON COLUMN report.relationships_expiring.relationship_id IS 'The relationship.';
COMMENT ON COLUMN report.relationships_expiring.customer_id IS 'The customer tenant.';
COMMENT ON COLUMN report.relationships_expiring.customer_name IS 'The customer''s name.';
COMMENT ON COLUMN report.relationships_expiring.service_id IS 'The service the privileges are for.';
COMMENT ON COLUMN report.relationships_expiring.activated_at IS 'When the customer accepted.';
COMMENT ON COLUMN report.relationships_expiring.expires_at IS 'When it expires (at most two years after activation).';
COMMENT ON COLUMN report.relationships_expiring.days_left IS 'Calendar days until expiry.';

CREATE VIEW report.batch_outcomes AS
SELECT b.id AS batch_id, b.file_name, b.created_by, b.created_at, b.runs, b.last_run_started_at, b.finished_at,
       b.finished_at - b.created_at AS duration, b.rows_total,
       count(*) FILTER (WHERE r.status = 'applied') AS applied,
       count(*) FILTER (WHERE r.status = 'already_applied') AS already_applied,
       count(*) FILTER (WHERE r.status = 'rejected') AS rejected,
       count(*) FILTER (WHERE r.status = 'pending') AS pending,
       (SELECT array_agg(code ORDER BY code) FROM (SELECT DISTINCT unnest(x.error_codes) AS code FROM core.batch_rows x
                                                   WHERE x.partner_id = b.partner_id AND x.batch_id = b.id) c) AS error_codes
FROM core.batches b
LEFT JOIN core.batch_rows r ON r.partner_id = b.partner_id AND r.batch_id = b.id
GROUP BY b.partner_id, b.id;
COMMENT ON VIEW report.batch_outcomes IS
'The acting partner''s CSV batches: rows applied, already applied, rejected and pending, runs and timings.';
COMMENT ON COLUMN report.batch_outcomes.batch_id IS 'The batch (sha256 of the file, or the --name given).';
COMMENT ON COLUMN report.batch_outcomes.file_name IS 'The file of the first run.';
COMMENT ON COLUMN report.batch_outcomes.created_by IS 'The operator who first ran it.';
COMMENT ON COLUMN report.batch_outcomes.created_at IS 'When it was first run.';
COMMENT ON COLUMN report.batch_outcomes.runs IS 'How many times it was run (a re-run resumes).';
COMMENT ON COLUMN report.batch_outcomes.last_run_started_at IS 'When the latest run started.';
COMMENT ON COLUMN report.batch_outcomes.finished_at IS 'When every row was done; NULL while rows are pending.';
COMMENT ON COLUMN report.batch_outcomes.duration IS 'From the first run to the end.';
COMMENT ON COLUMN report.batch_outcomes.rows_total IS 'Data rows in the file.';
COMMENT ON COLUMN report.batch_outcomes.applied IS 'Rows applied.';
COMMENT ON COLUMN report.batch_outcomes.already_applied IS 'Rows whose request id had been applied before (not applied again).';
COMMENT ON COLUMN report.batch_outcomes.rejected IS 'Rows refused by a rule.';
COMMENT ON COLUMN report.batch_outcomes.pending IS 'Rows not yet applied (an interrupted run: run the file again).';
COMMENT ON COLUMN report.batch_outcomes.error_codes IS 'Every error code among the rejected rows.';

-- The reports by name with the first line of their comment.
CREATE OR REPLACE FUNCTION api.reports()
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('name', c.relname,
                              'summary', split_part(obj_description(c.oid, 'pg_class'), E'\n', 1)) ORDER BY c.relname), '[]')
    FROM pg_class c
    WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
$$;
COMMENT ON FUNCTION api.reports IS 'The report views with their one-line summaries.';

-- The rows of one report view, filtered by [{column, op, value}]. Runs with the
-- caller's rights. The view and columns must exist (checked against the catalog and
-- quoted as identifiers); values travel as parameters, cast to the column's type.
CREATE OR REPLACE FUNCTION api.report_rows(p_name text, p_filters jsonb DEFAULT '[]', p_limit integer DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_view oid := (SELECT c.oid FROM pg_class c
                   WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v' AND c.relname = p_name);
    v_where text := '';
    v_values text[] := '{}'::text[];
    v_column pg_attribute;
    v_type text;
    f jsonb;
    v_result jsonb;
BEGIN
    IF v_view IS NULL THEN
        PERFORM logic.raise_error('invalid_argument', format('unknown report %s', p_name), NULL,
                                 'list the reports with: subctl report list');
    END IF;
    FOR f IN SELECT * FROM jsonb_array_elements(p_filters) LOOP
        SELECT * INTO v_column FROM pg_attribute
        WHERE attrelid = v_view AND attname = f ->> 'column' AND attnum > 0 AND NOT attisdropped;
        IF v_column.attname IS NULL THEN
            PERFORM logic.raise_error('invalid_argument', format('report %s has no column %s', p_name, f ->> 'column'));
        END IF;
        IF f ->> 'op' NOT IN ('=', '<>', '<', '<=', '>', '>=') THEN
            PERFORM logic.raise_error('invalid_argument', format('unknown comparison %s', f ->> 'op'));
        END IF;
        v_values := v_values || (f ->> 'value');
        v_type := format_type(v_column.atttypid, v_column.atttypmod);
        v_where := v_where || CASE
            -- on an array column, = means "contains"
            WHEN v_type LIKE '%[]' AND f ->> 'op' = '=' THEN
                format(' AND CAST($1[%s] AS %s) = ANY (%I)', cardinality(v_values), rtrim(v_type, '[]'), v_column.attname)
            ELSE format(' AND %I %s CAST($1[%s] AS %s)', v_column.attname, f ->> 'op', cardinality(v_values), v_type) END;
    END LOOP;
    EXECUTE format('SELECT coalesce(jsonb_agg(to_jsonb(r)), ''[]'') FROM (SELECT * FROM report.%I WHERE true%s LIMIT $2) r',
                   p_name, v_where)
        INTO v_result USING v_values, p_limit;
    RETURN v_result;
END $$;
COMMENT ON FUNCTION api.report_rows IS
'The rows of report view p_name, filtered by [{column, op, value}] (op one of = <> < <= > >=; = on an array column means contains).';

-- The acting partner's audit events, newest last, by subscription, customer or time.
CREATE OR REPLACE FUNCTION api.audit_events(p_subscription_id uuid DEFAULT NULL, p_customer_id uuid DEFAULT NULL,
                                            p_since timestamptz DEFAULT NULL, p_until timestamptz DEFAULT NULL,
                                            p_limit integer DEFAULT 1000)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(a) - 'partner_id' - 'chain_hash' ORDER BY a.id), '[]')
    FROM (SELECT * FROM core.audit_events e
          WHERE e.partner_id = logic.require_partner()
            AND (p_subscription_id IS NULL OR e.subscription_id = p_subscription_id)
            AND (p_customer_id IS NULL OR e.customer_id = p_customer_id)
            AND (p_since IS NULL OR e.occurred_at >= p_since)
            AND (p_until IS NULL OR e.occurred_at < p_until)
          ORDER BY e.id DESC LIMIT p_limit) a
$$;
COMMENT ON FUNCTION api.audit_events IS
'The acting partner''s audit events (the latest p_limit, oldest first), by subscription, customer or time range.';

-- `subctl audit verify`: the audit chains the caller may check, recomputed. A partner
-- checks its customers' chains (every event of those customers, whoever wrote it) and its
-- own; the schema owner acting for no partner checks every chain. Subscriptions whose
-- row differs from their audit trail come after the chains, as status broken.
CREATE OR REPLACE FUNCTION api.audit_verify(p_customer_id uuid DEFAULT NULL, p_checkpoint jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partner text := CASE WHEN logic.acting_partner() IS NULL AND logic.login_is_owner() THEN NULL
                           ELSE logic.require_partner() END;
    v_customers uuid[];
BEGIN
    IF p_checkpoint IS NOT NULL AND jsonb_typeof(p_checkpoint) <> 'array' THEN
        PERFORM logic.raise_error('invalid_argument', 'the checkpoint is not a JSON array of {chain, head_event_id, head_hash}');
    END IF;
    IF p_customer_id IS NOT NULL THEN
        IF NOT (EXISTS (SELECT 1 FROM core.customers WHERE id = p_customer_id)
                AND (v_partner IS NULL OR logic.customer_visible(v_partner, p_customer_id))) THEN
            PERFORM logic.raise_error('customer_not_found', format('customer %s does not exist', p_customer_id));
        END IF;
        v_customers := ARRAY[p_customer_id];
    ELSIF v_partner IS NOT NULL THEN
        v_customers := ARRAY(SELECT customer_id FROM core.partner_customers WHERE partner_id = v_partner);
    END IF;
    RETURN (SELECT coalesce(jsonb_agg(to_jsonb(x) - 'n' ORDER BY x.n), '[]') FROM (
        SELECT row_number() OVER () AS n, c.chain, c.events, c.head_event_id, c.head_hash, c.status,
               c.first_broken_event_id, c.problem
        FROM logic.audit_chains(v_customers, CASE WHEN p_customer_id IS NULL THEN v_partner END,
                                -- one customer's verify checks that chain's kept head only
                                CASE WHEN p_customer_id IS NULL THEN p_checkpoint
                                     ELSE (SELECT coalesce(jsonb_agg(k), '[]') FROM jsonb_array_elements(p_checkpoint) k
                                           WHERE k ->> 'chain' = 'customer:' || p_customer_id) END) c
        UNION ALL
        SELECT 1e12 + row_number() OVER (), 'subscription:' || u.subscription_id, NULL, NULL, NULL, 'broken', NULL,
               u.problem
        FROM logic.audit_unrecorded_changes(v_customers, v_partner) u) x);
END $$;
COMMENT ON FUNCTION api.audit_verify IS
'Recomputes the audit chains the caller may check (one customer''s with p_customer_id): per chain its events, head
event and hash (the checkpoint to keep), status ok or broken with the first broken event; p_checkpoint (an earlier
result) also catches the newest events removed. Subscriptions changed without an audit event are listed as broken.';
