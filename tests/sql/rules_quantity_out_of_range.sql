-- quantity_out_of_range: the license quantity must stay within the offer's min..max, for
-- an upgrade (the target's range; default quantity: the source's) and for licenses.
BEGIN;
SELECT plan(26);

SELECT test.new_offer('test-five-to-eight', 'Five to eight', 8, 5, p_upgrade_from => '{o365-business}') \g /dev/null
CREATE TEMP TABLE fx (partner text, customer uuid, business uuid, full_business uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET business = test.new_subscription(customer, 'o365-business', 10),
              full_business = test.new_subscription(test.new_customer(), 'o365-business', 300);

SELECT is(test.listed_codes(business, 'test-five-to-eight'), '{}', 'the listing does not judge a quantity') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L)', business, 'test-five-to-eight'), customer,
                        '{quantity_out_of_range}', 'upgrade with the default quantity (10) above the target''s max (8)') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, 4)', business, 'test-five-to-eight'), customer,
                        '{quantity_out_of_range}', 'upgrade with 4, below the target''s min (5)') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, 301)', business, 'o365-business-premium'), customer,
                        '{quantity_out_of_range}', 'upgrade to Premium with 301 licenses') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 291)', 'add', business), customer,
                        '{quantity_out_of_range}', 'adding 291 licenses to 10 (max 300)') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 10)', 'remove', business), customer,
                        '{quantity_out_of_range}', 'removing all 10 licenses (min 1)') FROM fx;
SELECT is(test.codes(api.licenses_change('add', business, 2147483647)), '{quantity_out_of_range}',
          'a huge quantity is out of range, not an overflow') FROM fx;
SELECT is(test.codes(api.upgrade(business, 'o365-e3', 0)), '{quantity_out_of_range}', 'an upgrade to 0 licenses') FROM fx;
SELECT is(api.upgrade(business, 'test-five-to-eight', 8) ->> 'status', 'succeeded', 'the target''s max itself is allowed') FROM fx;
SELECT is(api.licenses_change('add', full_business, 1) ->> 'status', 'rejected', 'a full subscription takes no license more') FROM fx;
SELECT is(api.licenses_change('remove', full_business, 299) -> 'quantity', '1', 'down to the min is allowed') FROM fx;

SELECT * FROM finish();
ROLLBACK;
