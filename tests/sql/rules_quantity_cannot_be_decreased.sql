-- quantity_cannot_be_decreased: licenses cannot be removed from an annual subscription;
-- they can be added, and a monthly one can lose them.
BEGIN;
SELECT plan(10);

CREATE TEMP TABLE fx (partner text, customer uuid, annual uuid, monthly uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET annual = test.new_subscription(customer, 'o365-e3', 10, p_billing_cycle => 'annual'),
              monthly = test.new_subscription(customer, 'o365-business', 10);

SELECT test.is_rejected(format('api.licenses_change(%L, %L, 1)', 'remove', annual), customer,
                        '{quantity_cannot_be_decreased}', 'removing a license from an annual subscription') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 10)', 'remove', annual), customer,
                        '{quantity_cannot_be_decreased,quantity_out_of_range}', 'removing all of them: both codes') FROM fx;
SELECT is(api.licenses_change('add', annual, 5) -> 'quantity', '15', 'adding to an annual subscription is allowed') FROM fx;
SELECT is(api.licenses_change('remove', monthly, 3) -> 'quantity', '7', 'removing from a monthly subscription is allowed') FROM fx;

SELECT * FROM finish();
ROLLBACK;
