-- subscription_status_not_active: a suspended or cancelled source cannot be upgraded nor
-- get or lose licenses; the listing shows the code for every target.
BEGIN;
SELECT plan(19);

CREATE TEMP TABLE fx (partner text, customer uuid, suspended uuid, cancelled uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET suspended = test.new_subscription(customer, 'o365-business'),
              cancelled = test.new_subscription(customer, 'o365-business-essentials');
SELECT api.subscription_change('suspend', suspended), api.subscription_change('cancel', cancelled) FROM fx;

SELECT is(ARRAY(SELECT DISTINCT test.codes(u)::text FROM jsonb_array_elements(api.upgrades(suspended)) u),
          ARRAY['{subscription_status_not_active}'], 'suspended: every listed target has the code') FROM fx;
SELECT is(ARRAY(SELECT DISTINCT (u -> 'eligible')::text FROM jsonb_array_elements(api.upgrades(suspended)) u),
          '{false}', 'suspended: no target is eligible') FROM fx;
SELECT is(test.listed_codes(cancelled, 'o365-e1'), '{subscription_status_not_active}', 'cancelled: listed with the code') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', suspended, 'o365-e3'), customer,
                        '{subscription_status_not_active}', 'upgrade of a suspended subscription') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', cancelled, 'o365-e1'), customer,
                        '{subscription_status_not_active}', 'upgrade of a cancelled subscription') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 1)', 'add', suspended), customer,
                        '{subscription_status_not_active}', 'licenses add on a suspended subscription') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 1)', 'remove', cancelled), customer,
                        '{subscription_status_not_active}', 'licenses remove on a cancelled subscription') FROM fx;

SELECT * FROM finish();
ROLLBACK;
