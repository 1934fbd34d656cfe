-- The roles and their privileges: operators call the API and read reports, reporters
-- read reports, neither touches a table; the audit trail is append-only for both.
BEGIN;
SELECT plan(16);

SELECT ok(EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r AND NOT rolcanlogin), r || ' exists and cannot log in')
FROM unnest(ARRAY['subctl_operator', 'subctl_reporter', 'subctl_report_owner']) AS r;

SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'core'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
                  AND (has_table_privilege(r, c.oid, 'SELECT') OR has_table_privilege(r, c.oid, 'INSERT')
                       OR has_table_privilege(r, c.oid, 'UPDATE') OR has_table_privilege(r, c.oid, 'DELETE')
                       OR has_table_privilege(r, c.oid, 'TRUNCATE'))
                ORDER BY 1), '{}', r || ' has no privilege on any table in core')
FROM unnest(ARRAY['subctl_operator', 'subctl_reporter']) AS r;

SELECT is(ARRAY(SELECT p.oid::regprocedure::text FROM pg_proc p
                WHERE p.pronamespace = 'api'::regnamespace AND NOT has_function_privilege('subctl_operator', p.oid, 'EXECUTE')
                ORDER BY 1),
          ARRAY['api.catalog_apply(jsonb,text,text)', 'api.customer_link(uuid,text,text,text)', 'api.partner_add(text,text,text,text)',
                'api.partner_login_map(name,text,text,text)'],
          'the operator may execute every API function but the owner''s administration');
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc p
                WHERE p.pronamespace = 'api'::regnamespace AND has_function_privilege('subctl_reporter', p.oid, 'EXECUTE')
                ORDER BY 1),
          ARRAY['catalog', 'report_rows', 'reports'],
          'the reporter may execute only the catalog and report listings');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
                  AND NOT (has_table_privilege('subctl_reporter', c.oid, 'SELECT')
                           AND has_table_privilege('subctl_operator', c.oid, 'SELECT'))
                ORDER BY 1), '{}', 'operator and reporter read every report view');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
                  AND (has_table_privilege('subctl_reporter', c.oid, 'INSERT,UPDATE,DELETE')
                       OR has_table_privilege('subctl_operator', c.oid, 'INSERT,UPDATE,DELETE'))
                ORDER BY 1), '{}', 'nobody but the owner writes through a report view');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
                  AND pg_get_userbyid(c.relowner) <> 'subctl_report_owner' ORDER BY 1), '{}',
          'the report views belong to subctl_report_owner, so the row-level-security policies bind them');
SELECT is(ARRAY(SELECT c.relname::text || coalesce('.' || a.attname, '') FROM pg_class c
                LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
                  AND coalesce(col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class')) IS NULL
                ORDER BY 1), '{}', 'every report view and column is documented');
SELECT is(ARRAY(SELECT p.proname::text FROM pg_proc p
                WHERE p.pronamespace = 'api'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
                ORDER BY 1), '{}', 'every API function is documented');

-- Under each role: the audit trail and the tables refuse writes with 42501.
SELECT test.act_as_new_partner('roles') AS partner \gset
SELECT test.new_login('tap_roles_operator', 'subctl_operator', :'partner');
SELECT test.new_login('tap_roles_reporter', 'subctl_reporter', :'partner');
SET SESSION AUTHORIZATION tap_roles_operator;
SELECT throws_ok($$INSERT INTO core.audit_events (operation, operator, source, entity, outcome)
                   VALUES ('upgrade', 'forged', 'cli', 'subscriptions', 'succeeded')$$, '42501',
                 NULL, 'an operator cannot write an audit event directly');
SELECT throws_ok($$DELETE FROM core.audit_events$$, '42501', NULL, 'an operator cannot delete audit events');
SET SESSION AUTHORIZATION tap_roles_reporter;
SELECT throws_ok($$UPDATE core.audit_events SET operator = 'forged'$$, '42501', NULL,
                 'a reporter cannot change audit events');
SELECT throws_ok($$SELECT api.customer_add('Forbidden')$$, '42501', NULL,
                 'a reporter cannot call an operation');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
