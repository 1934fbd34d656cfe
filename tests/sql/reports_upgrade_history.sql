-- report.upgrade_history lists both kinds of upgrade: into a new subscription (read off
-- the target's creation) and into an existing one (upgrade --into: read off the growth
-- of its quantity and the source's event after it), each with the target's licenses
-- right after it; another partner's upgrades are not listed.
BEGIN;
SELECT plan(5);

SELECT test.act_as_new_partner('hist') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'customer', 'o365-business-premium', 5) AS premium \gset
SELECT is(api.upgrade(:'business', NULL, 4, p_request_id => 'hist-into', p_into_subscription_id => :'premium') ->> 'status',
          'succeeded', 'upgraded into Premium');
SELECT test.new_subscription(:'customer', 'o365-business-essentials', 3) AS essentials \gset
SELECT api.upgrade(:'essentials', 'o365-e3', p_request_id => 'hist-new') ->> 'target_subscription_id' AS e3 \gset

-- Another partner's upgrade into an existing subscription, made after.
SELECT test.act_as_new_partner('hist-other') AS other \gset
SELECT test.new_customer() AS other_customer \gset
SELECT test.new_subscription(:'other_customer', 'o365-business', 2) AS other_business,
       test.new_subscription(:'other_customer', 'o365-business-premium', 1) AS other_premium \gset
SELECT is(api.upgrade(:'other_business', NULL, p_into_subscription_id => :'other_premium') ->> 'status', 'succeeded',
          'the other partner upgraded into its Premium');

SELECT test.act_as(:'partner');
SELECT is((SELECT array_agg(ARRAY[customer_id::text, from_subscription_id::text, from_offer_id, from_quantity::text,
                                  to_subscription_id::text, to_offer_id, to_quantity::text, request_id, into_existing::text]
                            ORDER BY request_id)
           FROM report.upgrade_history),
          ARRAY[ARRAY[:'customer', :'business', 'o365-business', '10', :'premium', 'o365-business-premium', '9', 'hist-into', 'true'],
                ARRAY[:'customer', :'essentials', 'o365-business-essentials', '3', :'e3', 'o365-e3', '3', 'hist-new', 'false']],
          'both upgrades listed: into Premium (grown from 5 to 9) and into a new E3 (created with 3); the other partner''s not');
SELECT is((SELECT ARRAY[operator IS NOT NULL, login_role IS NOT NULL, source = 'sql', batch_id IS NULL,
                        upgraded_at = (SELECT occurred_at FROM core.audit_events WHERE subscription_id = :'premium'
                                                                                  AND operation = 'upgrade')]
           FROM report.upgrade_history WHERE into_existing),
          ARRAY[true, true, true, true, true], 'the into-upgrade: who, how and when, off the grown subscription''s event');

SELECT test.act_as(:'other');
SELECT is((SELECT array_agg(ARRAY[from_subscription_id, to_subscription_id]::text) FROM report.upgrade_history),
          ARRAY[ARRAY[:'other_business', :'other_premium']::text], 'the other partner sees its own alone');

SELECT * FROM finish();
ROLLBACK;
