-- A large, realistic dataset for measurements (`make bench`, the listing latency), built
-- set-based straight into the tables (triggers keep visibility links, versions and the
-- audit trail as for any write). Needs a migrated database with the catalog applied.
--   psql -v customers=100000 -v subscriptions_per_customer=3 -f tests/support/dataset.sql
-- Mix: three partners (bench-a holds 80% of the customers, bench-b and bench-c 10% each);
-- per customer distinct offers drawn from all six, ~10% bought direct or through another
-- reseller, ~5% suspended or cancelled, ~30% annual; office365 relationships 90% active,
-- 5% expired by expires_at (no job ran), 5% removed; a few file-storage add-ons; users
-- with licenses on 10% of the customers.
\set ON_ERROR_STOP 1
\if :{?customers} \else \set customers 100000 \endif
\if :{?subscriptions_per_customer} \else \set subscriptions_per_customer 3 \endif
BEGIN;
SELECT setseed(0.2024), logic.begin_operation('dataset') \g /dev/null
INSERT INTO core.partners (id, name)
SELECT p, 'Bench partner ' || p FROM unnest(ARRAY['bench-a', 'bench-b', 'bench-c']) AS p
ON CONFLICT (id) DO NOTHING;

CREATE TEMP TABLE dataset_customers ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, n,
       CASE WHEN n % 10 < 8 THEN 'bench-a' WHEN n % 10 = 8 THEN 'bench-b' ELSE 'bench-c' END AS partner_id,
       floor(random() * 6)::int AS first_offer, random() AS relationship_draw
FROM generate_series(1, :customers) AS n;

-- Names and domains as a partner's customers have them: a brand, a city, a trade and a
-- number, e.g. "Contoso Shanghai Trading 4711", contoso4711.partner.onmschina.cn (each
-- word in 1/37 to 1/11 of the names, as real names share their cities and trades).
INSERT INTO core.customers (id, name, domain, created_by_partner_id)
SELECT id, format('%s %s %s %s', brand, city, trade, n), regexp_replace(lower(brand), '[^a-z]', '', 'g') || n || '.partner.onmschina.cn', partner_id
FROM (SELECT d.*,
             (ARRAY['Contoso', 'Fabrikam', 'Northwind', 'Litware', 'Tailspin', 'Wingtip', 'Adatum', 'Proseware',
                    'Woodgrove', 'Lucerne', 'Trey', 'Coho', 'Alpine', 'Fourth Coffee', 'Margie', 'Relecloud',
                    'Humongous', 'Blue Yonder', 'Graphic Design', 'Wide World', 'VanArsdel', 'Lamna', 'Nod',
                    'Bellows', 'Southridge', 'Datum', 'Consolidated', 'Munson', 'Olympia', 'Baldwin', 'Tasmanian',
                    'Jade', 'Kunlun', 'Huaxia', 'Changjiang', 'Dragon Gate', 'Silk Road'])[1 + n % 37] AS brand,
             (ARRAY['Shanghai', 'Beijing', 'Shenzhen', 'Guangzhou', 'Hangzhou', 'Chengdu', 'Wuhan', 'Nanjing',
                    'Tianjin', 'Suzhou', 'Xiamen', 'Qingdao', 'Dalian', 'Ningbo', 'Xi''an', 'Changsha', 'Hefei',
                    'Kunming', 'Fuzhou', 'Jinan', 'Harbin', 'Shenyang', 'Zhuhai'])[1 + (n / 37) % 23] AS city,
             (ARRAY['Trading', 'Technology', 'Logistics', 'Consulting', 'Manufacturing', 'Pharmaceutical',
                    'Retail', 'Engineering', 'Media', 'Education', 'Holdings'])[1 + (n / 851) % 11] AS trade
      FROM dataset_customers d) named;

INSERT INTO core.relationships (partner_id, customer_id, service_id, status, requested_at, activated_at, ended_at, expires_at)
SELECT partner_id, id, 'office365',
       CASE WHEN relationship_draw < 0.05 THEN 'removed' ELSE 'active' END,
       now() - interval '400 days', now() - interval '399 days',
       CASE WHEN relationship_draw < 0.05 THEN now() - interval '30 days' END,
       CASE WHEN relationship_draw < 0.10 THEN now() - interval '1 day' ELSE now() + interval '300 days' END
FROM dataset_customers;

-- Offer k of a customer is the (first_offer + k)-th of the six: distinct per customer.
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, status_reason, channel,
                                partner_id, recorded_by_partner_id)
SELECT c.id, o.offer_id, 1 + floor(random() * 50)::int,
       CASE WHEN random() < 0.3 THEN 'annual' ELSE 'monthly' END,
       d.status, CASE WHEN d.status <> 'active' THEN 'operator' END, d.channel,
       CASE WHEN d.channel = 'csp' THEN c.partner_id END, c.partner_id
FROM dataset_customers c
CROSS JOIN generate_series(0, :subscriptions_per_customer - 1) AS k
CROSS JOIN LATERAL (SELECT (ARRAY['o365-business-essentials', 'o365-business', 'o365-business-premium',
                                  'o365-proplus', 'o365-e1', 'o365-e3'])[(c.first_offer + k) % 6 + 1] AS offer_id,
                           random() AS channel_draw, random() AS status_draw) AS o
CROSS JOIN LATERAL (SELECT CASE WHEN o.channel_draw < 0.05 THEN 'direct' WHEN o.channel_draw < 0.10 THEN 'other-reseller'
                                ELSE 'csp' END AS channel,
                           CASE WHEN o.status_draw < 0.03 THEN 'suspended' WHEN o.status_draw < 0.05 THEN 'cancelled'
                                ELSE 'active' END AS status) AS d;

-- A file-storage add-on on ~5% of the E1 and E3 subscriptions.
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                recorded_by_partner_id, parent_subscription_id)
SELECT customer_id, 'o365-extra-file-storage', 1, billing_cycle, 'active', 'csp', recorded_by_partner_id,
       recorded_by_partner_id, id
FROM core.subscriptions
WHERE offer_id IN ('o365-e1', 'o365-e3') AND status = 'active' AND recorded_by_partner_id LIKE 'bench-%'
  AND random() < 0.05;

-- Users on 10% of the customers (every partner's): as many as the largest subscription's
-- licenses and two more; each of their csp subscriptions in force assigned to its first
-- 50% to 100% of them, so a user holds one to three licenses and some none (~400,000
-- users and ~500,000 assignments at 100,000 customers).
CREATE TEMP TABLE dataset_users ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, c.id AS customer_id, k, format('user%s@%s', k, c.domain) AS upn
FROM (SELECT c.id, c.domain, max(s.quantity) AS seats
      FROM dataset_customers d JOIN core.customers c ON c.id = d.id JOIN core.subscriptions s ON s.customer_id = c.id
      WHERE (d.n / 10) % 10 = 0 GROUP BY c.id, c.domain) c
CROSS JOIN generate_series(1, c.seats + 2) AS k;
INSERT INTO core.users (id, customer_id, upn, display_name)
SELECT id, customer_id, upn, 'User ' || k FROM dataset_users;
INSERT INTO core.license_assignments (subscription_id, user_id, customer_id)
SELECT s.id, u.id, s.customer_id
FROM core.subscriptions s
JOIN dataset_users u ON u.customer_id = s.customer_id
WHERE s.channel = 'csp' AND s.status IN ('active', 'suspended') AND s.parent_subscription_id IS NULL
  AND u.k <= ceil(s.quantity * (0.5 + 0.5 * (hashtext(s.id::text) & 65535) / 65535.0));
COMMIT;
ANALYZE;
