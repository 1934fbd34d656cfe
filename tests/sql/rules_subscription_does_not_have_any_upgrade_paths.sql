-- subscription_does_not_have_any_upgrade_paths: no path leaves E3, ProPlus or E1.
BEGIN;
SELECT plan(11);

CREATE TEMP TABLE fx (partner text, customer uuid, e3 uuid, proplus uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET e3 = test.new_subscription(customer, 'o365-e3'), proplus = test.new_subscription(customer, 'o365-proplus');

SELECT is(api.upgrades(e3), '[]', 'upgrades of an E3 subscription: no target listed') FROM fx;
SELECT is(api.upgrades(proplus), '[]', 'upgrades of a ProPlus subscription: no target listed') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', e3, 'o365-business-premium'), customer,
                        '{subscription_does_not_have_any_upgrade_paths}', 'E3 to Business Premium (a downgrade)') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, 5, p_if_version => 99)', proplus, 'o365-e3'), customer,
                        '{version_mismatch,subscription_does_not_have_any_upgrade_paths}',
                        'ProPlus to E3 with a stale version: both codes') FROM fx;
SELECT is(test.codes(api.upgrade(e3, 'no-such-offer')), '{subscription_does_not_have_any_upgrade_paths}',
          'without paths, an unknown target is not reported separately') FROM fx;

SELECT * FROM finish();
ROLLBACK;
