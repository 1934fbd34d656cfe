-- license_quantity_exceeded: assignments beyond the subscription's quantity; with other
-- errors, every one is listed and nothing is assigned (all or nothing). The table itself
-- refuses more assignments than the quantity (SU026), whoever writes.
BEGIN;
SELECT plan(12);

SELECT test.act_as_new_partner('users') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 2) AS sub \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer', 'ben@contoso.partner.onmschina.cn') ->> 'id' AS ben,
       api.user_add(:'customer', 'cleo@contoso.partner.onmschina.cn') ->> 'id' AS cleo \gset
SELECT api.license_change('assign', :'sub', ARRAY['anna@contoso.partner.onmschina.cn']) ->> 'status' AS ignored \gset

SELECT test.is_refused(format('api.license_change(%L, %L, ARRAY[%L, %L])', 'assign', :'sub',
                              'ben@contoso.partner.onmschina.cn', 'cleo@contoso.partner.onmschina.cn'),
                       'license_quantity_exceeded',
                       jsonb_build_object('operation', 'assign_license', 'entity', 'license_assignments',
                                          'subscription_id', :'sub', 'partner_id', :'partner', 'customer_id', :'customer'),
                       'two more users on a subscription of 2 licenses with 1 assigned');
SELECT is(api.license_change('assign', :'sub', ARRAY['ben@contoso.partner.onmschina.cn', 'cleo@contoso.partner.onmschina.cn'])
              -> 'errors' -> 0,
          jsonb_build_object('code', 'license_quantity_exceeded',
                             'details', jsonb_build_object('assigned', 1, 'quantity', 2, 'asked', 2, 'missing', 1),
                             'description', format('Subscription %s has 2 licenses and 1 assigned: 2 more would exceed it.', :'sub'),
                             'next_step', format('add licenses first (subctl licenses add %s 1), or assign fewer users', :'sub')),
          'the details: assigned, quantity, asked and the licenses missing');
SELECT is(test.codes(api.license_change('assign', :'sub', ARRAY['ben@contoso.partner.onmschina.cn', 'nobody@x.partner.onmschina.cn',
                                                                 'cleo@contoso.partner.onmschina.cn'])),
          '{user_not_found,license_quantity_exceeded}', 'every error is listed together');
SELECT is(api.license_change('assign', :'sub', ARRAY['anna@contoso.partner.onmschina.cn', 'ben@contoso.partner.onmschina.cn'])
              - 'request_id' - 'errors',
          jsonb_build_object('status', 'succeeded', 'subscription_id', :'sub', 'subscription_status', 'active', 'quantity', 2,
                             'licenses_assigned', 2, 'assigned', jsonb_build_array(jsonb_build_object(
                                 'id', :'ben', 'upn', 'ben@contoso.partner.onmschina.cn')), 'unchanged', 1),
          'a user who holds a license already is left as it is; the last license is assigned');
SELECT throws_ok(format('INSERT INTO core.license_assignments (subscription_id, user_id, customer_id) VALUES (%L, %L, %L)',
                        :'sub', :'cleo', :'customer'),
                 'SU026', NULL, 'the table refuses a third assignment of 2 licenses (check_license_assignments_within_quantity)');
-- one statement over two subscriptions: the one within its quantity does not hide the other
SELECT test.new_subscription(:'customer', 'o365-e3', 5) AS roomy \gset
SELECT throws_ok(format('INSERT INTO core.license_assignments (subscription_id, user_id, customer_id) VALUES (%L, %L, %L), (%L, %L, %L)',
                        :'roomy', :'cleo', :'customer', :'sub', :'cleo', :'customer'),
                 'SU026', NULL, 'one statement assigning within one subscription and beyond the other is refused');
SELECT lives_ok(format('INSERT INTO core.license_assignments (subscription_id, user_id, customer_id) VALUES (%L, %L, %L), (%L, %L, %L)',
                       :'roomy', :'cleo', :'customer', :'roomy', :'anna', :'customer'),
                'two assignments within the quantity of a second subscription are taken');
SELECT throws_ok(format('UPDATE core.subscriptions SET quantity = 1 WHERE id = %L', :'sub'),
                 'SU027', NULL, 'and a quantity below its assignments (check_subscriptions_quantity_covers_assignments)');
SELECT is((SELECT count(*) FROM core.license_assignments WHERE subscription_id = :'sub'), 2::bigint,
          'never more assignments than the quantity');

SELECT * FROM finish();
ROLLBACK;
