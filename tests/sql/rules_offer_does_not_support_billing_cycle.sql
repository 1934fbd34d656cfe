-- offer_does_not_support_billing_cycle: the target does not offer the source's billing
-- cycle (the upgraded subscription keeps it). Every shipped offer has both cycles, so a
-- test offer without annual is put on a path from Business.
BEGIN;
SELECT plan(10);

SELECT test.new_offer('test-monthly-only', 'Monthly only', 300, p_upgrade_from => '{o365-business}') \g /dev/null
CREATE TEMP TABLE fx (partner text, customer uuid, annual uuid, monthly uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET annual = test.new_subscription(customer, 'o365-business', p_billing_cycle => 'annual'),
              monthly = test.new_subscription(test.new_customer(), 'o365-business');

SELECT is(test.listed_codes(annual, 'test-monthly-only'), '{offer_does_not_support_billing_cycle}',
          'annual source, monthly-only target: listed') FROM fx;
SELECT is(test.listed_codes(annual, 'o365-e3'), '{}', 'annual source, E3 (both cycles): eligible') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', annual, 'test-monthly-only'), customer,
                        '{offer_does_not_support_billing_cycle}', 'upgrade of an annual subscription to a monthly-only offer') FROM fx;
SELECT is(test.listed_codes(monthly, 'test-monthly-only'), '{}', 'monthly source: eligible') FROM fx;
SELECT is(api.upgrade(monthly, 'test-monthly-only') ->> 'status', 'succeeded', 'monthly source: upgraded') FROM fx;
SELECT is(test.codes(api.subscription_add(customer, 'test-monthly-only', 1, 'annual')), '{offer_does_not_support_billing_cycle}',
          'recording an annual subscription of the monthly-only offer is refused too') FROM fx;
SELECT is((SELECT count(*) FROM core.subscriptions WHERE customer_id = customer AND offer_id = 'test-monthly-only'), 0::bigint,
          'nothing was recorded for the annual customer') FROM fx;

SELECT * FROM finish();
ROLLBACK;
