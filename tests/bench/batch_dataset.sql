-- Customers for the batch benchmark: :rows new customers of partner :partner (added if
-- missing), each with an active office365 relationship and one o365-business subscription
-- (eligible for an upgrade to o365-business-premium), inserted set-based. With -v file=F,
-- also the batch file F: one upgrade per new subscription in random order (customers
-- are independent). tests/bench/batch_bench.sh tops up the bench dataset with it.
-- Usage: psql -v partner=bench-batch -v rows=100000 [-v file=/tmp/batch.csv] -f batch_dataset.sql
\set ON_ERROR_STOP 1
BEGIN;
INSERT INTO core.partners (id, name) VALUES (:'partner', 'Batch bench partner ' || :'partner')
ON CONFLICT (id) DO NOTHING;
CREATE TEMP TABLE batch_customers ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, i FROM generate_series(1, :rows) AS i;
INSERT INTO core.customers (id, name, created_by_partner_id)
SELECT id, format('Batch customer %s', i), :'partner' FROM batch_customers;
INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
SELECT :'partner', id, 'office365', 'active', now(), now() + interval '1 year' FROM batch_customers;
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                recorded_by_partner_id)
SELECT id, 'o365-business', 10, 'monthly', 'active', 'csp', :'partner', :'partner' FROM batch_customers;
\if :{?file}
\set copy '\\copy (SELECT ''upgrade'' AS action, s.id AS subscription_id, ''o365-business-premium'' AS target_offer, NULL AS quantity, NULL AS request_id FROM core.subscriptions s JOIN batch_customers c ON c.id = s.customer_id ORDER BY random()) TO ' :'file' ' (FORMAT csv, HEADER)'
:copy
\endif
COMMIT;
ANALYZE;
