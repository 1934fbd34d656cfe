-- conflicting_service_types: the customer already has a subscription in force (any
-- channel, any partner) that includes a service plan the target adds beyond the source.
BEGIN;
SELECT plan(16);

CREATE TEMP TABLE fx (partner text, customer uuid, business uuid, essentials uuid, e1 uuid, proplus uuid, premium_customer uuid, premium_business uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer(), premium_customer = test.new_customer();
-- Business (ODB, OO, desktop apps); Essentials bought directly (Exchange, SharePoint,
-- Skype, ODB, OO); ProPlus through another reseller (ODB, OO, ProPlus).
UPDATE fx SET business = test.new_subscription(customer, 'o365-business'),
              essentials = test.new_subscription(customer, 'o365-business-essentials', p_channel => 'direct'),
              proplus = test.new_subscription(customer, 'o365-proplus', p_channel => 'other-reseller');

SELECT is(test.listed_codes(business, 'o365-business-premium'), '{conflicting_service_types}',
          'Premium adds Exchange etc., which the direct Essentials includes') FROM fx;
SELECT is(test.listed_codes(business, 'o365-e3'), '{conflicting_service_types}',
          'E3 adds Exchange and ProPlus, included by the direct Essentials and the other reseller''s ProPlus') FROM fx;
SELECT is(test.listed_codes(business, 'o365-proplus'), '{conflicting_service_types,target_offer_already_owned}',
          'ProPlus: owned through the other reseller') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'o365-business-premium'), customer,
                        '{conflicting_service_types}', 'upgrade to Premium with a direct Essentials') FROM fx;
-- Cancelling the direct Essentials (the customer's other channel) frees Exchange: Premium
-- becomes eligible; E3 still conflicts through the other reseller's ProPlus.
UPDATE core.subscriptions SET status = 'cancelled' WHERE id = (SELECT essentials FROM fx);
SELECT is(test.listed_codes(business, 'o365-business-premium'), '{}', 'the cancelled Essentials does not count') FROM fx;
SELECT is(test.listed_codes(business, 'o365-e3'), '{conflicting_service_types}',
          'E3 still conflicts with the other reseller''s ProPlus (office-proplus)') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'o365-e3'), customer,
                        '{conflicting_service_types}', 'upgrade to E3 with an other-reseller ProPlus') FROM fx;
-- Plans the source already has are no conflict: ProPlus shares ODB and OO with Business.
UPDATE core.subscriptions SET status = 'cancelled' WHERE id = (SELECT proplus FROM fx);
SELECT is(test.listed_codes(business, 'o365-e3'), '{}', 'nothing in force includes what E3 adds') FROM fx;
-- Another partner's subscription counts too, and a suspended one is still in force.
UPDATE fx SET premium_business = test.new_subscription(premium_customer, 'o365-business');
SELECT test.act_as_new_partner('rival');
SELECT test.link(premium_customer, current_setting('subctl.partner_id')) FROM fx;
SELECT test.new_relationship(premium_customer, false) FROM fx;
UPDATE fx SET e1 = test.new_subscription(premium_customer, 'o365-e1');
SELECT is(api.subscription_change('suspend', e1) ->> 'subscription_status', 'suspended', 'the rival suspends its E1') FROM fx;
SELECT test.act_as(partner) FROM fx;
SELECT is(test.listed_codes(premium_business, 'o365-business-premium'), '{conflicting_service_types}',
          'another partner''s suspended E1 still includes Exchange') FROM fx;
SELECT * FROM finish();
ROLLBACK;
