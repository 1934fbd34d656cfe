-- quantity_below_assigned_licenses: licenses remove below the licenses assigned to users,
-- by the one rule of license changes (a single command and a batch row alike).
BEGIN;
SELECT plan(9);

SELECT test.act_as_new_partner('users') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 3) AS sub \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer', 'ben@contoso.partner.onmschina.cn') ->> 'id' AS ben \gset
SELECT api.license_change('assign', :'sub', ARRAY['anna@contoso.partner.onmschina.cn', 'ben@contoso.partner.onmschina.cn'])
       ->> 'status' AS ignored \gset

SELECT test.is_refused(format('api.licenses_change(%L, %L, 2)', 'remove', :'sub'), 'quantity_below_assigned_licenses',
                       jsonb_build_object('operation', 'remove_licenses', 'entity', 'subscriptions',
                                          'subscription_id', :'sub', 'partner_id', :'partner', 'customer_id', :'customer'),
                       'remove 2 of 3 licenses with 2 assigned');
SELECT is(api.licenses_change('remove', :'sub', 2) -> 'errors' -> 0,
          jsonb_build_object('code', 'quantity_below_assigned_licenses',
                             'details', jsonb_build_object('assigned', 2, 'quantity', 1),
                             'description', format('Subscription %s has 2 licenses assigned to users: its quantity cannot go down to 1.', :'sub'),
                             'next_step', format('unassign licenses first: subctl license unassign %s USER...', :'sub')),
          'the details: assigned and the quantity it would reach');
SELECT is(api.licenses_change('remove', :'sub', 1) ->> 'quantity', '2', 'down to the assigned licenses is allowed');
SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\nremove_licenses,%s,,1,\n', :'sub'))
       ->> 'batch_id' AS batch \gset
SELECT api.batch_apply_chunk(:'batch', 2, 2) AS ignored \gset
SELECT is((SELECT error_codes FROM core.batch_rows WHERE batch_id = :'batch'), '{quantity_below_assigned_licenses}',
          'a batch row is refused by the same rule');
SELECT is(api.license_change('unassign', :'sub', ARRAY[:'ben']) ->> 'licenses_assigned', '1', 'once a license is unassigned');
SELECT is(api.licenses_change('remove', :'sub', 1) ->> 'quantity', '1', 'the license can go');

SELECT * FROM finish();
ROLLBACK;
