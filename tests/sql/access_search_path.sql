-- No session setting, schema or object a login creates changes what a function reads or
-- whom it acts for (SPEC 7.1): every function of the project's schemas resolves its
-- names independently of the caller's search_path, and the attack that showed it did
-- not, replayed, finds nothing.
BEGIN;
SELECT plan(9);

-- Pinned: a `SET search_path` clause on every function, whatever its language or body
-- (a SQL-standard body is resolved when created, but the clause is what the rule asks
-- for and what a reader can check).
SELECT is_empty($$
    SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('core', 'logic', 'api', 'report')
      AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')$$,
    'every function in core, logic, api and report pins its search_path with a SET clause');
SELECT is_empty($$
    SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('core', 'logic', 'api', 'report')
      AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c
                  WHERE c LIKE 'search_path=%' AND c <> 'search_path=pg_catalog, pg_temp')$$,
    'a pinned search_path is pg_catalog, pg_temp: nothing a login can create comes first');

-- Bound when created: no function or view of the project's schemas depends on a
-- function, operator, type or relation outside them and pg_catalog (subctl migrate
-- resolves names in pg_catalog only, so an operator a login put in public, say, is
-- never bound into a body that the owner or another partner then runs).
SELECT is_empty($$
    WITH deps AS (
        SELECT d.classid::regclass AS kind, d.objid, d.refclassid::regclass AS ref_kind, d.refobjid,
               CASE d.classid WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.objid)
                              WHEN 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite r
                                                                JOIN pg_class c ON c.oid = r.ev_class WHERE r.oid = d.objid)
               END AS from_ns,
               CASE d.refclassid WHEN 'pg_proc'::regclass THEN (SELECT pronamespace FROM pg_proc WHERE oid = d.refobjid)
                                 WHEN 'pg_operator'::regclass THEN (SELECT oprnamespace FROM pg_operator WHERE oid = d.refobjid)
                                 WHEN 'pg_type'::regclass THEN (SELECT typnamespace FROM pg_type WHERE oid = d.refobjid)
                                 WHEN 'pg_class'::regclass THEN (SELECT relnamespace FROM pg_class WHERE oid = d.refobjid)
               END AS to_ns
        FROM pg_depend d WHERE d.classid IN ('pg_proc'::regclass, 'pg_rewrite'::regclass))
    SELECT kind::text || ' ' || objid || ' -> ' || ref_kind::text || ' ' || refobjid FROM deps
    WHERE from_ns IN ('core'::regnamespace, 'logic'::regnamespace, 'api'::regnamespace, 'report'::regnamespace)
      AND to_ns NOT IN ('pg_catalog'::regnamespace, 'core'::regnamespace, 'logic'::regnamespace, 'api'::regnamespace,
                        'report'::regnamespace)$$,
    'no function or view of core, logic, api and report is bound to an object outside them and pg_catalog');

-- Partner B's customer with a subscription, an upgrade and a relationship that expires.
SELECT test.act_as_new_partner('sp-b') AS partner_b \gset
SELECT test.new_customer() AS customer_b \gset
SELECT test.new_subscription(:'customer_b', 'o365-business') AS subscription_b \gset
SELECT api.upgrade(:'subscription_b', 'o365-business-premium') \g /dev/null
SELECT test.act_as('');

-- A reporter mapped to no partner, who may create objects in a schema of its own.
CREATE ROLE tap_sp_reporter LOGIN;
GRANT subctl_reporter TO tap_sp_reporter;
CREATE SCHEMA tap_sp_evil AUTHORIZATION tap_sp_reporter;
GRANT USAGE ON SCHEMA test TO tap_sp_reporter;
GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO tap_sp_reporter;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO tap_sp_reporter;

SET SESSION AUTHORIZATION tap_sp_reporter;
CREATE FUNCTION tap_sp_evil.pg_has_role(name, oid, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE FUNCTION tap_sp_evil.pg_has_role(name, name, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
SET search_path = tap_sp_evil, pg_catalog, public;
SELECT set_config('subctl.partner_id', :'partner_b', false) \g /dev/null
SELECT is(logic.acting_partner(), NULL, 'the forged pg_has_role does not make the login the owner: it acts for nobody');
SELECT is((SELECT count(*) FROM report.subscription_history), 0::bigint, 'subscription_history: nothing of B');
SELECT is((SELECT count(*) FROM report.upgrade_options), 0::bigint, 'upgrade_options: nothing of B');
SELECT is((SELECT count(*) FROM report.relationships_expiring), 0::bigint, 'relationships_expiring: nothing of B');
SELECT is((SELECT count(*) FROM report.upgrade_history), 0::bigint, 'upgrade_history: nothing of B');
SELECT is((SELECT count(*) FROM report.licenses), 0::bigint, 'licenses: nothing of B');
RESET search_path;
SELECT set_config('subctl.partner_id', '', false) \g /dev/null
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
