-- version_mismatch: an expected version (If-Match) that is not the subscription's
-- current one refuses every mutation; it is listed with the other codes that apply.
BEGIN;
SELECT plan(20);

CREATE TEMP TABLE fx (partner text, customer uuid, business uuid, v bigint);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET business = test.new_subscription(customer, 'o365-business');
UPDATE fx SET v = (SELECT version FROM core.subscriptions WHERE id = business);
SELECT api.licenses_change('add', business, 1) FROM fx;  -- the version moves on: v is stale

SELECT test.is_rejected(format('api.upgrade(%L, %L, p_if_version => %s)', business, 'o365-e3', v), customer,
                        '{version_mismatch}', 'upgrade with a stale version') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 1, p_if_version => %s)', 'add', business, v), customer,
                        '{version_mismatch}', 'licenses add with a stale version') FROM fx;
SELECT test.is_rejected(format('api.subscription_change(%L, %L, p_if_version => %s)', 'suspend', business, v), customer,
                        '{version_mismatch}', 'suspend with a stale version') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, 301, p_if_version => %s)', business, 'o365-e1', v), customer,
                        '{version_mismatch,subscription_target_offer_not_found}', 'stale version and no such path: both') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, 301, p_if_version => %s)', business, 'o365-business-premium', v), customer,
                        '{version_mismatch,quantity_out_of_range}', 'stale version and quantity: both') FROM fx;

SELECT * FROM finish();
ROLLBACK;
