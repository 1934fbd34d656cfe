-- target_offer_already_owned: the customer already has a subscription in force of the
-- target offer, through any channel. Essentials -> E1 adds no service plan, so the code
-- shows alone there.
BEGIN;
SELECT plan(12);

CREATE TEMP TABLE fx (partner text, customer uuid, essentials uuid, e1 uuid, e3 uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET essentials = test.new_subscription(customer, 'o365-business-essentials'),
              e1 = test.new_subscription(customer, 'o365-e1', p_channel => 'other-reseller'),
              e3 = test.new_subscription(customer, 'o365-e3', p_channel => 'direct', p_billing_cycle => 'annual');

SELECT is(test.listed_codes(essentials, 'o365-e1'), '{target_offer_already_owned}', 'E1 through another reseller: listed') FROM fx;
SELECT is(test.listed_codes(essentials, 'o365-e3'), '{conflicting_service_types,target_offer_already_owned}',
          'E3 bought directly (annual): owned, and it includes ProPlus that the target adds') FROM fx;
SELECT is(test.listed_codes(essentials, 'o365-business-premium'), '{}', 'Premium is not owned: eligible') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', essentials, 'o365-e1'), customer,
                        '{target_offer_already_owned}', 'upgrade to an E1 owned through another reseller') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', essentials, 'o365-e3'), customer,
                        '{conflicting_service_types,target_offer_already_owned}', 'upgrade to an E3 bought directly') FROM fx;
-- The customer cancels the other channel's E1 first; then it can buy it from the partner.
SELECT api.subscription_change('cancel', e1) FROM fx;
SELECT is(test.listed_codes(essentials, 'o365-e1'), '{}', 'after cancelling the owned E1: eligible') FROM fx;

SELECT * FROM finish();
ROLLBACK;
