-- The four conditions of the source document ("Subscriptions can be upgraded if: ..."),
-- each alone blocking an otherwise eligible upgrade with exactly its own code, and
-- lifted as the document says (the customer cancels the other channel's subscription).
BEGIN;
SELECT plan(12);

CREATE TEMP TABLE fx (partner text, baseline uuid, inactive uuid, no_admin uuid, services uuid, owned uuid,
                      services_direct uuid, owned_elsewhere uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET baseline = test.new_subscription(test.new_customer(), 'o365-business-essentials'),
              inactive = test.new_subscription(test.new_customer(), 'o365-business-essentials'),
              no_admin = test.new_subscription(test.new_customer(false), 'o365-business-essentials'),
              services = test.new_subscription(test.new_customer(), 'o365-business'),
              owned = test.new_subscription(test.new_customer(), 'o365-business-essentials');
SELECT api.subscription_change('suspend', inactive) ->> 'status' FROM fx;
-- Exchange etc. bought directly; E1 bought from another reseller.
UPDATE fx SET services_direct = test.new_subscription((SELECT customer_id FROM core.subscriptions WHERE id = services),
                                                      'o365-e1', p_channel => 'direct'),
              owned_elsewhere = test.new_subscription((SELECT customer_id FROM core.subscriptions WHERE id = owned),
                                                      'o365-e1', p_channel => 'other-reseller');

SELECT is(test.listed_codes(baseline, 'o365-e1'), '{}', 'baseline: active, delegated admin, nothing owned: eligible') FROM fx;
SELECT is(test.listed_codes(inactive, 'o365-e1'), '{subscription_status_not_active}',
          '1. the subscription is active (not suspended or cancelled)') FROM fx;
SELECT is(test.listed_codes(no_admin, 'o365-e1'), '{delegated_admin_permissions_disabled}',
          '2. you have delegated administrative privileges for the customer and the service') FROM fx;
SELECT is(test.listed_codes(services, 'o365-business-premium'), '{conflicting_service_types}',
          '3. the customer has no subscription (here: direct) including the additional services') FROM fx;
SELECT is(test.listed_codes(owned, 'o365-e1'), '{target_offer_already_owned}',
          '4. the customer does not already have the target (here: from another reseller)') FROM fx;
SELECT is(test.codes(api.upgrade(inactive, 'o365-e1')), '{subscription_status_not_active}', '1. blocks the upgrade') FROM fx;
SELECT is(test.codes(api.upgrade(no_admin, 'o365-e1')), '{delegated_admin_permissions_disabled}', '2. blocks the upgrade') FROM fx;
SELECT is(test.codes(api.upgrade(services, 'o365-business-premium')), '{conflicting_service_types}', '3. blocks the upgrade') FROM fx;
SELECT is(test.codes(api.upgrade(owned, 'o365-e1')), '{target_offer_already_owned}', '4. blocks the upgrade') FROM fx;
-- "can't buy them from you until they cancel those first"
SELECT api.subscription_change('cancel', services_direct) ->> 'status', api.subscription_change('cancel', owned_elsewhere) ->> 'status' FROM fx;
SELECT is(api.upgrade(services, 'o365-business-premium') ->> 'status', 'succeeded', '3. lifted by cancelling the direct E1') FROM fx;
SELECT is(api.upgrade(owned, 'o365-e1') ->> 'status', 'succeeded', '4. lifted by cancelling the other reseller''s E1') FROM fx;
SELECT is(api.upgrade(baseline, 'o365-e1') ->> 'status', 'succeeded', 'baseline: upgraded') FROM fx;

SELECT * FROM finish();
ROLLBACK;
