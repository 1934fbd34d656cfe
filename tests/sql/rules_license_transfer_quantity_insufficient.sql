-- license_transfer_quantity_insufficient: an upgrade that moves the users' licenses (the
-- default) to a target of fewer licenses than are assigned on the source. The listing
-- says so for the quantity asked, by the same rule; upgrade_only is not refused by it.
BEGIN;
SELECT plan(10);

SELECT test.act_as_new_partner('users') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 5) AS sub \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer', 'ben@contoso.partner.onmschina.cn') ->> 'id' AS ben,
       api.user_add(:'customer', 'cleo@contoso.partner.onmschina.cn') ->> 'id' AS cleo \gset
SELECT api.license_change('assign', :'sub', ARRAY[:'anna', :'ben', :'cleo']) ->> 'status' AS ignored \gset

SELECT test.is_refused(format('api.upgrade(%L, %L, 2)', :'sub', 'o365-e3'), 'license_transfer_quantity_insufficient',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions',
                                          'subscription_id', :'sub', 'partner_id', :'partner', 'customer_id', :'customer'),
                       'upgrade to 2 licenses with 3 assigned');
SELECT is(api.upgrade(:'sub', 'o365-e3', 2) -> 'errors' -> 0,
          jsonb_build_object('code', 'license_transfer_quantity_insufficient',
                             'details', jsonb_build_object('assigned', 3, 'quantity', 2),
                             'description', format('2 licenses of o365-e3 cannot hold the 3 licenses assigned on subscription %s.', :'sub'),
                             'next_step', format('upgrade with --quantity 3 or more; or unassign licenses first (subctl license unassign %s USER...); or upgrade with --no-license-transfer and reassign them afterwards', :'sub')),
          'the details: assigned and quantity');
SELECT is(ARRAY(SELECT u ->> 'target_offer' FROM jsonb_array_elements(api.upgrades(:'sub', 2)) u
                WHERE u -> 'errors' @> '[{"code": "license_transfer_quantity_insufficient"}]'),
          ARRAY(SELECT u ->> 'target_offer' FROM jsonb_array_elements(api.upgrades(:'sub')) u),
          'the listing for 2 licenses: every target, by the same rule');
SELECT is(ARRAY(SELECT u -> 'errors' -> 0 -> 'details' FROM jsonb_array_elements(api.upgrades(:'sub', 2)) u
                WHERE u ->> 'target_offer' = 'o365-e3'),
          ARRAY['{"assigned": 3, "quantity": 2}'::jsonb], 'with the same details');
SELECT is(test.listed_codes(:'sub', 'o365-e3'), '{}', 'the listing for the source''s quantity: eligible');
SELECT is(test.codes(api.upgrade(:'sub', 'o365-e3', 2, p_dry_run => true, p_license_transfer => false)), '{}',
          'upgrade_only is not refused by it');
SELECT is(test.codes(api.upgrade(:'sub', 'o365-e3', 3, p_dry_run => true)), '{}', 'nor a target of as many licenses as assigned');

SELECT * FROM finish();
ROLLBACK;
