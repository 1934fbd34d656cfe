-- Who may act for a partner is itself in the audit trail: mapping a login (and moving it
-- to another partner) records an event with the login, the partner before and after,
-- and who did it; a direct SQL change of the mapping is recorded too.
BEGIN;
SELECT plan(5);

CREATE TEMP TABLE fx (first_partner text, second_partner text);
INSERT INTO fx SELECT test.act_as_new_partner('first'), test.act_as_new_partner('second');
SELECT set_config('subctl.operator', 'owner-olga', true);
CREATE ROLE test_mapped_login LOGIN;
SELECT api.partner_login_map('test_mapped_login', first_partner) FROM fx;
SELECT api.partner_login_map('test_mapped_login', second_partner) FROM fx;

SELECT is(ARRAY(SELECT a.operation || ' ' || a.outcome || ' ' || (a.changes -> 'partner_id')::text
                FROM core.audit_events a WHERE a.entity = 'partner_logins' AND a.entity_id = 'test_mapped_login'
                ORDER BY a.id),
          ARRAY['map_login succeeded [null, "' || first_partner || '"]',
                'map_login succeeded ["' || first_partner || '", "' || second_partner || '"]'],
          'mapping, then moving the login: two events with the partner before and after')
FROM fx;
SELECT is(ARRAY(SELECT DISTINCT a.operator FROM core.audit_events a
                WHERE a.entity = 'partner_logins' AND a.entity_id = 'test_mapped_login'),
          ARRAY['owner-olga'], 'the events name who mapped the login');
SELECT is(ARRAY(SELECT DISTINCT a.login_role::text FROM core.audit_events a
                WHERE a.entity = 'partner_logins' AND a.entity_id = 'test_mapped_login'),
          ARRAY[session_user::text], 'and the database login that did it');

SELECT set_config('subctl.operation', '', true);  -- as in a psql session of its own: no operation under way
DELETE FROM core.partner_logins WHERE login_role = 'test_mapped_login';
SELECT is((SELECT a.operation || ' ' || (a.changes -> 'partner_id')::text FROM core.audit_events a
           WHERE a.entity = 'partner_logins' AND a.entity_id = 'test_mapped_login' ORDER BY a.id DESC LIMIT 1),
          'sql_delete ["' || second_partner || '", null]', 'a direct SQL delete of the mapping is recorded')
FROM fx;
SELECT throws_ok($$UPDATE core.audit_events SET operator = 'someone' WHERE entity = 'partner_logins'$$,
                 'SU070', NULL, 'and the record cannot be rewritten');

SELECT * FROM finish();
ROLLBACK;
