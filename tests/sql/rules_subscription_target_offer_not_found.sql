-- subscription_target_offer_not_found: the target is not an upgrade path of the source
-- offer (another offer, the source's own offer, an add-on, an unknown id).
BEGIN;
SELECT plan(19);

CREATE TEMP TABLE fx (partner text, customer uuid, business uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET business = test.new_subscription(customer, 'o365-business');

SELECT is(ARRAY(SELECT u ->> 'target_offer' FROM jsonb_array_elements(api.upgrades(business)) u),
          '{o365-business-premium,o365-e3,o365-proplus}', 'the listing shows exactly the paths of Business') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'o365-e1'), customer,
                        '{subscription_target_offer_not_found}', 'Business to E1 (no such path)') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'o365-business'), customer,
                        '{subscription_target_offer_not_found}', 'Business to itself') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'o365-extra-file-storage'), customer,
                        '{subscription_target_offer_not_found}', 'Business to an add-on') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'Robert''); DROP TABLE core.offers; --'), customer,
                        '{subscription_target_offer_not_found}', 'Business to an unknown, hostile offer id') FROM fx;
-- A path removed from the catalog is no target any more.
DELETE FROM core.upgrade_paths WHERE source_offer_id = 'o365-business' AND target_offer_id = 'o365-proplus';
SELECT is(test.listed_codes(business, 'o365-proplus'), NULL, 'a removed path is not listed') FROM fx;
SELECT is(test.codes(api.upgrade(business, 'o365-proplus')), '{subscription_target_offer_not_found}',
          'a removed path is refused') FROM fx;

SELECT * FROM finish();
ROLLBACK;
