-- A customer's users and their licenses (SPEC 7.3): user add and list, assignments moved
-- by an upgrade in its transaction (or left on the source: upgrade_only), released by a
-- cancel, audited; what the tables hold whoever writes; only the partner's customers'
-- users are visible.
BEGIN;
SELECT plan(29);

SELECT test.act_as_new_partner('users') AS partner \gset
SELECT test.new_customer() AS customer, test.new_customer() AS other \gset
SELECT test.new_subscription(:'customer', 'o365-business', 5) AS sub,
       test.new_subscription(:'other', 'o365-business', 5) AS other_sub \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn', 'Anna') AS anna_added \gset
SELECT :'anna_added'::jsonb ->> 'id' AS anna,
       api.user_add(:'customer', 'ben@contoso.partner.onmschina.cn') ->> 'id' AS ben \gset

-- user add, user list
SELECT is(:'anna_added'::jsonb - 'id' - 'created_at' - 'request_id',
          jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb, 'customer_id', :'customer',
                             'upn', 'anna@contoso.partner.onmschina.cn', 'display_name', 'Anna'), 'user add: the user');
SELECT throws_ok(format('SELECT api.user_add(%L, %L)', :'customer', 'not a upn'), 'SU041', NULL,
                 'a user principal name that is no NAME@DOMAIN is invalid_argument');
SELECT throws_ok(format('SELECT api.user_add(%L, %L, %L)', :'customer', 'x@contoso.partner.onmschina.cn', E'Bad\tname'), 'SU041', NULL,
                 'so is a display name with a control character');
SELECT is(test.codes(api.user_add(gen_random_uuid(), 'x@contoso.partner.onmschina.cn')), '{customer_not_found}',
          'a customer that does not exist');
SELECT is(api.user_add(:'customer', 'dry@contoso.partner.onmschina.cn', p_dry_run => true) ->> 'status', 'dry_run', 'a dry run');
SELECT is((SELECT count(*) FROM core.users WHERE customer_id = :'customer'), 2::bigint, 'adds nothing');
SELECT is(ARRAY(SELECT u ->> 'upn' FROM jsonb_array_elements(api.users(:'customer')) u),
          '{anna@contoso.partner.onmschina.cn,ben@contoso.partner.onmschina.cn}', 'user list: the customer''s users');

-- assign, unassign, audited
SELECT is(api.license_change('assign', :'sub', ARRAY['Anna@CONTOSO.partner.onmschina.cn', :'ben'], p_comment => 'new hires')
              ->> 'licenses_assigned', '2', 'assign two users at once, by name in any case and by id');
SELECT is(ARRAY(SELECT operation || ' ' || entity || ' ' || entity_id || ' ' || comment FROM core.audit_events
                WHERE subscription_id = :'sub' AND entity = 'license_assignments' ORDER BY id),
          ARRAY['assign_license license_assignments ' || least(:'anna', :'ben') || ' new hires',
                'assign_license license_assignments ' || greatest(:'anna', :'ben') || ' new hires'],
          'one audit event per assignment, with the comment');
SELECT is(api.users(:'customer') -> 0 -> 'licenses', jsonb_build_array(:'sub'), 'user list: the licenses each holds');
SELECT is((api.subscription_details(:'sub') ->> 'licenses_assigned'), '2', 'subscription show: licenses_assigned');
SELECT is((api.subscription(:'sub') ->> 'licenses_assigned'), '2', 'and the subscription''s record');
SELECT is(api.license_change('unassign', :'sub', ARRAY[:'ben']) -> 'unassigned',
          jsonb_build_array(jsonb_build_object('id', :'ben', 'upn', 'ben@contoso.partner.onmschina.cn')), 'unassign');
SELECT is(api.license_change('assign', :'sub', ARRAY[:'ben']) ->> 'licenses_assigned', '2', 'and assign again');
SELECT is(api.license_change('assign', :'sub', ARRAY[:'ben'], p_request_id => 'noop-' || :'partner', p_comment => 'once more')
              - 'request_id' - 'errors' - 'status' - 'subscription_status' - 'quantity' - 'subscription_id',
          '{"licenses_assigned": 2, "assigned": [], "unchanged": 1}', 'assigning a license the user holds changes nothing');
SELECT is((SELECT jsonb_agg(jsonb_build_array(operation, outcome, entity, subscription_id, customer_id, changes, error_codes, request_id, comment))
           FROM core.audit_events WHERE request_id = 'noop-' || :'partner'),
          jsonb_build_array(jsonb_build_array('assign_license', 'succeeded', 'license_assignments', :'sub', :'customer', '{}'::jsonb,
                                              '{}'::text[], 'noop-' || :'partner', 'once more')),
          'and is audited all the same: one event, succeeded, no changed fields, its request id and comment');

-- upgrade: the licenses move in the same transaction
SELECT api.upgrade(:'sub', 'o365-e3') AS upgraded \gset
SELECT is(:'upgraded'::jsonb -> 'upgrade_type', '"upgrade_with_license_transfer"', 'upgrade: with license transfer by default');
SELECT is(:'upgraded'::jsonb -> 'licenses_transferred', '2', 'licenses_transferred');
SELECT is(ARRAY(SELECT subscription_id::text FROM core.license_assignments WHERE user_id IN (:'anna', :'ben')),
          ARRAY[:'upgraded'::jsonb ->> 'target_subscription_id', :'upgraded'::jsonb ->> 'target_subscription_id'],
          'every assignment is on the target');
SELECT is(:'upgraded'::jsonb -> 'next_steps', '[]', 'nothing left to do for the users');

-- upgrade_only: left on the suspended source, next_steps says how many to reassign
SELECT api.user_add(:'other', 'otto@other.partner.onmschina.cn') ->> 'id' AS otto \gset
SELECT api.license_change('assign', :'other_sub', ARRAY[:'otto']) ->> 'status' AS ignored \gset
SELECT api.upgrade(:'other_sub', 'o365-business-premium', p_license_transfer => false) AS only \gset
SELECT is(:'only'::jsonb - 'next_steps' - 'request_id' - 'target_subscription_id',
          jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb, 'source_subscription_id', :'other_sub',
                             'target_offer', 'o365-business-premium', 'quantity', 5, 'upgrade_type', 'upgrade_only',
                             'licenses_transferred', 0), 'upgrade --no-license-transfer: upgrade_only, none transferred');
SELECT is(:'only'::jsonb -> 'next_steps' ->> 0,
          format('reassign the 1 user who holds a license of the suspended subscription %s (o365-business) to %s (o365-business-premium): subctl license unassign %s USER... then subctl license assign %s USER... (subctl user list --customer %s lists them)',
                 :'other_sub', :'only'::jsonb ->> 'target_subscription_id', :'other_sub', :'only'::jsonb ->> 'target_subscription_id', :'other'),
          'next_steps: how many users to reassign, and how');
SELECT is(ARRAY(SELECT subscription_id FROM core.license_assignments WHERE user_id = :'otto'), ARRAY[:'other_sub'::uuid],
          'the license stays on the source');
SELECT is(api.license_change('unassign', :'other_sub', ARRAY[:'otto']) ->> 'status', 'succeeded',
          'a license left on the suspended source can be unassigned');

-- cancel releases
SELECT api.subscription_change('cancel', (:'upgraded'::jsonb ->> 'target_subscription_id')::uuid) AS cancelled \gset
SELECT is(:'cancelled'::jsonb -> 'licenses_released', '2', 'cancel: releases the assignments');
SELECT is((SELECT count(*) FROM core.license_assignments WHERE customer_id = :'customer'), 0::bigint, 'none is left');
SELECT is((SELECT count(*) FROM core.audit_events WHERE operation = 'cancel' AND entity = 'license_assignments'
                                                      AND customer_id = :'customer'), 2::bigint, 'each audited');

-- the tables: a user's licenses are of its customer
SELECT throws_ok(format('INSERT INTO core.license_assignments (subscription_id, user_id, customer_id) VALUES (%L, %L, %L)',
                        :'other_sub', :'anna', :'customer'),
                 '23514', NULL, 'a subscription of another customer (check_license_assignments_customer)');

-- visibility: another partner sees none of these users
SELECT test.act_as_new_partner('stranger') AS stranger \gset
SELECT throws_ok(format('SELECT api.users(%L)', :'customer'), 'SU003', NULL, 'another partner: customer_not_found');

SELECT * FROM finish();
ROLLBACK;
