-- The dataset of the batch benchmark: partner :partner with :rows customers, each with an
-- active office365 relationship and one o365-business subscription (eligible for an
-- upgrade to o365-business-premium), inserted set-based; then the batch file :file with
-- one upgrade per subscription in random order (customers are independent).
-- Usage: psql -v partner=bench-batch -v rows=100000 -v file=/tmp/batch.csv -f batch_dataset.sql
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO core.partners (id, name) VALUES (:'partner', 'Batch bench partner ' || :'partner');
INSERT INTO core.customers (id, name, created_by_partner_id)
SELECT gen_random_uuid(), format('Batch customer %s', i), :'partner' FROM generate_series(1, :rows) AS i;
INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
SELECT :'partner', id, 'office365', 'active', now(), now() + interval '1 year'
FROM core.customers WHERE created_by_partner_id = :'partner';
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                recorded_by_partner_id)
SELECT id, 'o365-business', 10, 'monthly', 'active', 'csp', :'partner', :'partner'
FROM core.customers WHERE created_by_partner_id = :'partner';
COMMIT;
ANALYZE;
\set copy '\\copy (SELECT ''upgrade'' AS action, id AS subscription_id, ''o365-business-premium'' AS target_offer, NULL AS quantity, NULL AS request_id FROM core.subscriptions WHERE partner_id = ' :'partner' ' ORDER BY random()) TO ' :'file' ' (FORMAT csv, HEADER)'
:copy
