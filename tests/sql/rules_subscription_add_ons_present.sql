-- subscription_add_ons_present: a source with add-on subscriptions that are not
-- cancelled cannot be upgraded.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE fx (partner text, customer uuid, essentials uuid, storage uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET essentials = test.new_subscription(customer, 'o365-business-essentials');
UPDATE fx SET storage = test.new_subscription(customer, 'o365-extra-file-storage', 1, p_parent => essentials);

SELECT is(ARRAY(SELECT DISTINCT test.codes(u)::text FROM jsonb_array_elements(api.upgrades(essentials)) u),
          ARRAY['{subscription_add_ons_present}'], 'every target of the parent lists the code') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', essentials, 'o365-e3'), customer,
                        '{subscription_add_ons_present}', 'upgrade of a parent with an active add-on') FROM fx;
SELECT api.subscription_change('suspend', storage) FROM fx;
SELECT is(test.listed_codes(essentials, 'o365-e3'), '{subscription_add_ons_present}', 'a suspended add-on still counts') FROM fx;
SELECT api.subscription_change('cancel', storage) FROM fx;
SELECT is(test.listed_codes(essentials, 'o365-e3'), '{}', 'a cancelled add-on does not count') FROM fx;
SELECT is(api.upgrade(essentials, 'o365-e3') ->> 'status', 'succeeded', 'and the upgrade goes through') FROM fx;

SELECT * FROM finish();
ROLLBACK;
