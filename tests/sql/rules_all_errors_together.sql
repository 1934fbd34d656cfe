-- Every error that applies is reported, not just the first: one subscription breaking
-- seven listing rules at once, and an upgrade request adding the two request rules. The
-- upgrade refuses with the listing's codes plus those of the request, in the SPEC's order.
BEGIN;
SELECT plan(8);

-- A target that is monthly only, includes ProPlus and allows at most 10 licenses.
SELECT test.new_offer('test-monthly-proplus', 'Monthly ProPlus', 10, p_plans => '{office-proplus}',
                      p_upgrade_from => '{o365-business-essentials}') \g /dev/null
CREATE TEMP TABLE fx (partner text, customer uuid, essentials uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer(false);  -- no delegated admin
-- Bought through another reseller (not the partner's), annual, with an add-on, then
-- suspended; the customer also owns the target, bought directly.
UPDATE fx SET essentials = test.new_subscription(customer, 'o365-business-essentials', 5, 'other-reseller', 'annual');
SELECT test.new_subscription(customer, 'o365-extra-file-storage', 1, 'other-reseller', 'annual', p_parent => essentials),
       test.new_subscription(customer, 'test-monthly-proplus', 1, 'direct'),
       api.subscription_change('suspend', essentials) ->> 'status' FROM fx;

SELECT is(test.listed_codes(essentials, 'test-monthly-proplus'),
          '{subscription_status_not_active,not_reseller_of_record,delegated_admin_permissions_disabled,conflicting_service_types,target_offer_already_owned,subscription_add_ons_present,offer_does_not_support_billing_cycle}',
          'the listing gives all seven codes of the target') FROM fx;
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.upgrades(essentials)) u WHERE (u -> 'eligible')::boolean), 0::bigint,
          'no target is eligible') FROM fx;
SELECT is(test.listed_codes(essentials, 'o365-e1'),
          '{subscription_status_not_active,not_reseller_of_record,delegated_admin_permissions_disabled,subscription_add_ons_present}',
          'E1 (no plan added, not owned, both cycles): the four codes that apply') FROM fx;
SELECT is(test.codes(api.upgrade(essentials, 'o365-e1')), test.listed_codes(essentials, 'o365-e1'),
          'the upgrade to E1 refuses with exactly the listed codes') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, 11, p_if_version => 1)', essentials, 'test-monthly-proplus'), customer,
    '{version_mismatch,quantity_out_of_range,subscription_status_not_active,not_reseller_of_record,delegated_admin_permissions_disabled,conflicting_service_types,target_offer_already_owned,subscription_add_ons_present,offer_does_not_support_billing_cycle}',
    'the upgrade: the request''s two codes and the listing''s seven') FROM fx;

SELECT * FROM finish();
ROLLBACK;
