-- subscription_not_provisioned: a pending source cannot be upgraded nor change licenses,
-- until it is activated.
BEGIN;
SELECT plan(11);

CREATE TEMP TABLE fx (partner text, customer uuid, pending uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET pending = test.new_subscription(customer, 'o365-business', p_status => 'pending');

SELECT is(test.listed_codes(pending, 'o365-e3'), '{subscription_not_provisioned}', 'pending: listed with the code') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', pending, 'o365-e3'), customer,
                        '{subscription_not_provisioned}', 'upgrade of a pending subscription') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 2)', 'add', pending), customer,
                        '{subscription_not_provisioned}', 'licenses add on a pending subscription') FROM fx;
SELECT is(api.subscription_change('activate', pending) ->> 'status', 'succeeded', 'activate the pending subscription') FROM fx;
SELECT is(test.listed_codes(pending, 'o365-e3'), '{}', 'once active, the upgrade is eligible') FROM fx;

SELECT * FROM finish();
ROLLBACK;
