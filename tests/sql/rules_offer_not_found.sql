-- offer_not_found: recording a subscription of an unknown or retired offer. An upgrade
-- to an unknown offer id is reported as subscription_target_offer_not_found (the target
-- is not an upgrade path of the source), see rules_subscription_target_offer_not_found.
BEGIN;
SELECT plan(6);

CREATE TEMP TABLE fx (partner text, customer uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
SELECT test.new_offer('test-retired', 'Retired', 10, p_retired => true) \g /dev/null

SELECT is(test.codes(api.subscription_add(customer, 'no-such-offer', 1)), '{offer_not_found}',
          'subscription add of an unknown offer: offer_not_found') FROM fx;
SELECT is(test.codes(api.subscription_add(customer, 'test-retired', 1)), '{offer_not_found}',
          'subscription add of a retired offer: offer_not_found') FROM fx;
SELECT is(test.codes(api.subscription_add(customer, 'no-such-offer', 0, 'annual')), '{offer_not_found}',
          'an unknown offer hides the checks that need the offer (quantity, billing cycle)') FROM fx;
SELECT is((SELECT count(*) FROM core.subscriptions WHERE customer_id = customer), 0::bigint,
          'nothing was recorded') FROM fx;
SELECT is((SELECT array_agg(error_codes[1] ORDER BY id) FROM core.audit_events
           WHERE operation = 'add_subscription' AND partner_id = partner),
          '{offer_not_found,offer_not_found,offer_not_found}', 'each refusal is audited with its code') FROM fx;
SELECT is(test.codes(api.upgrade(test.new_subscription(customer, 'o365-business'), 'no-such-offer')),
          '{subscription_target_offer_not_found}', 'an upgrade to an unknown offer: not an upgrade path') FROM fx;

SELECT * FROM finish();
ROLLBACK;
