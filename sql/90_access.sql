-- Roles, privileges and partner isolation, re-applied on every migrate.
--   owner            the login that runs migrations: owns everything, bypasses RLS
--   subctl_operator  EXECUTE on the API functions, SELECT on the report views; no table
--   subctl_reporter  SELECT on the report views (and the functions that list them)
--   subctl_report_owner  owns the report views: they read the tables with its rights,
--                    so the row-level-security policies below scope every report
-- A login acts for the partner core.partner_logins maps it to (logic.acting_partner).

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['subctl_operator', 'subctl_reporter', 'subctl_report_owner'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    -- needed to hand the report views over below
    IF NOT pg_has_role(current_user, 'subctl_report_owner', 'MEMBER') THEN
        GRANT subctl_report_owner TO CURRENT_USER;
    END IF;
END $$;

-- Name lookup only: no role but the owner has a privilege on a table in core.
REVOKE ALL ON SCHEMA core FROM PUBLIC;
GRANT USAGE ON SCHEMA core TO subctl_operator, subctl_reporter, subctl_report_owner;
REVOKE ALL ON ALL TABLES IN SCHEMA core FROM PUBLIC, subctl_operator, subctl_reporter;
GRANT SELECT ON ALL TABLES IN SCHEMA core TO subctl_report_owner;
REVOKE ALL ON core.audit_chain_heads FROM subctl_report_owner;  -- no report reads it
-- The code: the row-level-security policies and the report views call into it.
REVOKE ALL ON SCHEMA logic FROM PUBLIC;
GRANT USAGE ON SCHEMA logic TO subctl_operator, subctl_reporter, subctl_report_owner;

REVOKE ALL ON SCHEMA api FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA api FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO subctl_operator, subctl_reporter;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO subctl_operator;
-- administration stays with the owner
REVOKE EXECUTE ON FUNCTION api.partner_add, api.partner_login_map, api.catalog_apply, api.customer_link FROM subctl_operator;
GRANT EXECUTE ON FUNCTION api.reports, api.report_rows, api.catalog TO subctl_reporter;

REVOKE ALL ON SCHEMA report FROM PUBLIC;
GRANT USAGE ON SCHEMA report TO subctl_operator, subctl_reporter;
GRANT USAGE, CREATE ON SCHEMA report TO subctl_report_owner;
GRANT SELECT ON ALL TABLES IN SCHEMA report TO subctl_operator, subctl_reporter;
DO $$
DECLARE
    v name;
BEGIN
    FOR v IN SELECT relname FROM pg_class WHERE relnamespace = 'report'::regnamespace AND relkind = 'v' LOOP
        EXECUTE format('ALTER VIEW report.%I OWNER TO subctl_report_owner', v);
    END LOOP;
    -- what a view reads through a function runs with the same rights
    ALTER FUNCTION logic.partner_licenses() OWNER TO subctl_report_owner;
END $$;

-- Row-level security: every table holding partner data shows a non-owner role only
-- the acting partner's rows. (SELECT logic.acting_partner()) is evaluated once per query;
-- the subqueries are written out, not called, so that they run with the policy's role.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
            ('partners',          'id = (SELECT logic.acting_partner())'),
            ('partner_logins',    'partner_id = (SELECT logic.acting_partner())'),
            ('partner_customers', 'partner_id = (SELECT logic.acting_partner())'),
            ('customers',         'id IN (SELECT customer_id FROM core.partner_customers WHERE partner_id = (SELECT logic.acting_partner()))'),
            -- every channel's subscriptions of a visible customer: the rules need them;
            -- the reports never show another reseller's identity
            ('subscriptions',     'customer_id IN (SELECT customer_id FROM core.partner_customers WHERE partner_id = (SELECT logic.acting_partner()))'),
            ('users',             'customer_id IN (SELECT customer_id FROM core.partner_customers WHERE partner_id = (SELECT logic.acting_partner()))'),
            ('license_assignments', 'customer_id IN (SELECT customer_id FROM core.partner_customers WHERE partner_id = (SELECT logic.acting_partner()))'),
            ('relationships',     'partner_id = (SELECT logic.acting_partner())'),
            ('audit_events',      'partner_id = (SELECT logic.acting_partner())'),
            ('upgrade_options',   'partner_id = (SELECT logic.acting_partner())'),
            ('request_ids',       'partner_id = (SELECT logic.acting_partner())'),
            ('batches',           'partner_id = (SELECT logic.acting_partner())'),
            ('batch_rows',        'partner_id = (SELECT logic.acting_partner())')) AS p (table_name, predicate)
    LOOP
        EXECUTE format('ALTER TABLE core.%I ENABLE ROW LEVEL SECURITY', t.table_name);
        EXECUTE format('CREATE POLICY acting_partner_only ON core.%I USING (%s) WITH CHECK (%s)',
                       t.table_name, t.predicate, t.predicate);
    END LOOP;
END $$;
