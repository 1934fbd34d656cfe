-- Partner isolation enforced by the database: logins of partner A never read, list,
-- report on or change partner B's data, through tables, views or API functions; the
-- rules still see other channels' subscriptions but name only the error code; the
-- partner and operator recorded cannot be forged.
BEGIN;
SELECT plan(24);

-- Partner B: a customer with a subscription. Partner A: a customer with a business
-- subscription, which B also serves (B's relationship and an E1 it sold there).
SELECT test.act_as_new_partner('iso-b') AS partner_b \gset
SELECT test.new_customer() AS customer_b \gset
SELECT test.new_subscription(:'customer_b', 'o365-e1') AS subscription_b \gset
SELECT test.act_as_new_partner('iso-a') AS partner_a \gset
SELECT test.new_customer() AS customer_a \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS subscription_a \gset
SELECT test.act_as(:'partner_b');
SELECT test.link(:'customer_a', :'partner_b');  -- A's customer accepted B's invitation too
SELECT test.new_relationship(:'customer_a', false);
SELECT test.new_subscription(:'customer_a', 'o365-e1') AS subscription_b_at_a \gset
SELECT test.act_as('');

SELECT test.new_login('tap_iso_operator_a', 'subctl_operator', :'partner_a');
SELECT test.new_login('tap_iso_reporter_a', 'subctl_reporter', :'partner_a');

-- ------------------------------------------------------------ operator of A
SET SESSION AUTHORIZATION tap_iso_operator_a;
SELECT is(logic.acting_partner(), :'partner_a', 'a mapped login acts for its partner without any setting');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.customers()) c WHERE c ->> 'id' = :'customer_b'), 0::bigint,
          'B''s customer is not listed');
SELECT throws_ok(format('SELECT api.subscription(%L)', :'subscription_b'), 'SU001', NULL,
                 'B''s subscription is not found');
SELECT throws_ok(format('SELECT api.upgrades(%L)', :'subscription_b'), 'SU001', NULL,
                 'B''s subscription has no upgrades to list: not found');
SELECT is(test.codes(api.upgrade(:'subscription_b', 'o365-e3')), ARRAY['subscription_not_found'],
          'upgrading B''s subscription: not found, exactly like a missing one');
SELECT is(test.codes(api.licenses_change('add', :'subscription_b', 1)), ARRAY['subscription_not_found'],
          'adding licenses to B''s subscription: not found');
SELECT is(strpos(api.upgrades(:'subscription_a')::text, :'partner_b'), 0,
          'the rules see B''s E1 at A''s customer, and the listing never names B');
SELECT ok(test.listed_codes(:'subscription_a', 'o365-e3') @> ARRAY['conflicting_service_types'],
          'B''s E1 still blocks A''s upgrade to E3: conflicting_service_types');
SELECT is(strpos(api.subscriptions(:'customer_a')::text, :'partner_b'), 0,
          'A''s listing of its customer''s subscriptions does not name B');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.relationships()) r WHERE r ->> 'customer_id' = :'customer_a'),
          1::bigint, 'A sees its own relationship with the shared customer, not B''s');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.audit_events()) e
           WHERE e::text LIKE '%' || :'partner_b' || '%' OR e ->> 'customer_id' = :'customer_b'), 0::bigint,
          'A''s audit trail holds nothing of B');
SELECT set_config('subctl.partner_id', :'partner_b', false);
SELECT throws_ok('SELECT api.customers()', 'SU042', NULL, 'a login cannot choose another partner');
SELECT set_config('subctl.partner_id', '', false);
SELECT throws_ok('SELECT count(*) FROM core.subscriptions', '42501', NULL, 'no direct read of a table');
SELECT throws_ok(format('UPDATE core.subscriptions SET quantity = 1 WHERE id = %L', :'subscription_b'), '42501', NULL,
                 'no direct write of a table');
-- an operation recorded under the login and partner, whatever operator name is claimed
SELECT set_config('subctl.operator', 'mallory', false);
SELECT is(api.licenses_change('add', :'subscription_a', 1) ->> 'status', 'succeeded', 'A adds a license');
RESET SESSION AUTHORIZATION;
SELECT set_config('subctl.operator', '', false);
SELECT is((SELECT array_agg(concat_ws(' ', operator, login_role, partner_id)) FROM core.audit_events
           WHERE subscription_id = :'subscription_a' AND operation = 'add_licenses'),
          ARRAY['tap_iso_operator_a tap_iso_operator_a ' || :'partner_a'],
'the event records the login as operator and its partner, not the claimed name');

-- ------------------------------------------------------------ reporter of A
-- (A's own refused attempts on B's subscription echo the id A typed, nothing more:
-- B's subscription at B's customer is therefore not among the needles.)
SET SESSION AUTHORIZATION tap_iso_reporter_a;
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
                  AND test.rows_mentioning(c.oid, :'partner_b') + test.rows_mentioning(c.oid, :'customer_b')
                      + test.rows_mentioning(c.oid, :'subscription_b_at_a') > 0
                ORDER BY 1), '{}', 'no report view shows anything of B');
SELECT ok(test.rows_mentioning('report.upgrade_options', :'subscription_a') > 0, 'A''s reporter sees A''s upgrade options');
SELECT ok((SELECT error_codes @> ARRAY['conflicting_service_types'] FROM report.upgrade_options
           WHERE subscription_id = :'subscription_a' AND target_offer_id = 'o365-e3'),
          'the report applies the same rules: B''s E1 blocks E3');
SELECT ok(test.rows_mentioning('report.subscription_history', :'subscription_a') > 0, 'and A''s history');
SELECT is((SELECT sum(subscriptions) FROM report.licenses WHERE NOT sold_by_you), 1::numeric,
          'B''s E1 at the shared customer counts as another''s sale, unnamed');
SELECT throws_ok('SELECT api.customers()', '42501', NULL, 'a reporter cannot call the operations API');
SELECT throws_ok('SELECT count(*) FROM core.customers', '42501', NULL, 'a reporter reads no table');
RESET SESSION AUTHORIZATION;

-- ------------------------------------------------------------ an unmapped login
CREATE ROLE tap_iso_stranger LOGIN IN ROLE subctl_reporter;
GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO tap_iso_stranger;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO tap_iso_stranger;
SET SESSION AUTHORIZATION tap_iso_stranger;
SELECT set_config('subctl.partner_id', :'partner_a', false);
SELECT is((SELECT count(*) FROM report.subscription_history), 0::bigint,
          'a login mapped to no partner sees nothing, whatever partner it names');
RESET SESSION AUTHORIZATION;
SELECT set_config('subctl.partner_id', '', false);

SELECT * FROM finish();
ROLLBACK;
