-- logic.upgrade_evaluations is written set-based (per-customer window aggregates, one
-- computation per path) and is read two ways: for every customer at once (a refresh of
-- all stored options) and for one customer (the listing and the upgrade). On a
-- random mix of customers, both readings must give the same codes, and they must equal
-- the rules read literally off SPEC 3 — the oracle below, kept here in the test only,
-- states each rule as the SPEC words it (another subscription, correlated lookups).
BEGIN;
SELECT plan(6);

SELECT setseed(0.5);
SELECT test.new_offer('test-monthly-only', 'Monthly only', 300, p_upgrade_from => '{o365-business}') \g /dev/null

CREATE TEMP TABLE fx (partner text, other_partner text);
INSERT INTO fx (other_partner) SELECT test.act_as_new_partner('other');
UPDATE fx SET partner = test.act_as_new_partner();

-- 120 customers: 80% with delegated admin; 1–4 subscriptions of random offers, channels,
-- cycles and statuses; add-ons; some sold by the other partner; some upgraded, some
-- cancelled; some relationships expired by their date.
CREATE TEMP TABLE mix AS
SELECT test.new_customer(random() < 0.8) AS customer_id FROM generate_series(1, 120);
CREATE TEMP TABLE offers_drawn AS
SELECT m.customer_id, o.offer_id,
       CASE WHEN random() < 0.7 THEN 'csp' WHEN random() < 0.5 THEN 'direct' ELSE 'other-reseller' END AS channel,
       CASE WHEN random() < 0.3 THEN 'annual' ELSE 'monthly' END AS billing_cycle,
       CASE WHEN random() < 0.85 THEN 'active' ELSE 'pending' END AS status
FROM mix m
CROSS JOIN LATERAL (SELECT offer_id FROM unnest(ARRAY['o365-business-essentials', 'o365-business', 'o365-business-premium',
                                                      'o365-proplus', 'o365-e1', 'o365-e3']) AS offer_id
                    WHERE m.customer_id IS NOT NULL ORDER BY random() LIMIT 1 + floor(random() * 4)::int) o;
CREATE TEMP TABLE subs AS
SELECT test.new_subscription(customer_id, offer_id, 5, channel, billing_cycle, status) AS id FROM offers_drawn;
-- add-ons on a third of the subscriptions whose offer takes them
SELECT count(test.new_subscription(s.customer_id, 'o365-extra-file-storage', 1, s.channel, s.billing_cycle, 'active', s.id))
FROM core.subscriptions s JOIN subs USING (id)
JOIN core.offer_add_on_parents ap ON ap.parent_offer_id = s.offer_id AND ap.add_on_offer_id = 'o365-extra-file-storage'
WHERE random() < 0.33 \g /dev/null
SELECT count(api.subscription_change('cancel', a.id)) FROM core.subscriptions a JOIN subs p ON p.id = a.parent_subscription_id
WHERE random() < 0.3 \g /dev/null
SELECT count(api.subscription_change(CASE WHEN random() < 0.5 THEN 'suspend' ELSE 'cancel' END, id))
FROM subs WHERE random() < 0.15 \g /dev/null
SELECT count(api.upgrade(e.subscription_id, e.target_offer_id))
FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), (SELECT partner FROM fx)) e WHERE e.error_codes = '{}' AND random() < 0.2 \g /dev/null
UPDATE core.relationships SET activated_at = now() - interval '3 days', expires_at = now() - interval '1 day'
WHERE customer_id IN (SELECT customer_id FROM mix) AND status = 'active' AND random() < 0.1;
-- the other partner sells a few subscriptions to these customers too
SELECT test.act_as(other_partner) FROM fx;
CREATE TEMP TABLE shared ON COMMIT DROP AS SELECT DISTINCT customer_id FROM mix WHERE random() < 0.2;
SELECT count(test.link(s.customer_id, fx.other_partner)) FROM shared s, fx \g /dev/null
SELECT count(test.new_relationship(customer_id, false)) FROM shared \g /dev/null
SELECT count(test.new_subscription(pc.customer_id, 'o365-e1')) FROM core.partner_customers pc JOIN fx ON pc.partner_id = fx.other_partner \g /dev/null
SELECT test.act_as(partner) FROM fx;

-- The rules as SPEC 3 words them, one correlated lookup per rule (the test's oracle).
CREATE TEMP TABLE literal AS
SELECT s.id AS subscription_id, p.target_offer_id, array_remove(ARRAY[
           CASE WHEN s.status IN ('suspended', 'cancelled') THEN 'subscription_status_not_active' END,
           CASE WHEN s.status = 'pending' THEN 'subscription_not_provisioned' END,
           CASE WHEN s.partner_id IS DISTINCT FROM fx.partner THEN 'not_reseller_of_record' END,
           CASE WHEN NOT EXISTS (SELECT 1 FROM core.relationships r WHERE r.customer_id = s.customer_id
                                 AND r.service_id = t.service_id AND r.partner_id = fx.partner AND r.status = 'active'
                                 AND r.expires_at > statement_timestamp())
                THEN 'delegated_admin_permissions_disabled' END,
           CASE WHEN EXISTS (SELECT 1 FROM core.subscriptions o JOIN core.offer_service_plans op ON op.offer_id = o.offer_id
                             WHERE o.customer_id = s.customer_id AND o.id <> s.id AND o.status <> 'cancelled'
                               AND o.status_reason IS DISTINCT FROM 'upgraded'
                               AND op.service_plan_id IN (SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = p.target_offer_id
                                                          EXCEPT SELECT service_plan_id FROM core.offer_service_plans WHERE offer_id = s.offer_id))
                THEN 'conflicting_service_types' END,
           CASE WHEN EXISTS (SELECT 1 FROM core.subscriptions o WHERE o.customer_id = s.customer_id
                             AND o.offer_id = p.target_offer_id AND o.status <> 'cancelled'
                             AND o.status_reason IS DISTINCT FROM 'upgraded')
                THEN 'target_offer_already_owned' END,
           CASE WHEN EXISTS (SELECT 1 FROM core.subscriptions a WHERE a.parent_subscription_id = s.id AND a.status <> 'cancelled')
                THEN 'subscription_add_ons_present' END,
           CASE WHEN NOT EXISTS (SELECT 1 FROM core.offer_billing_cycles b WHERE b.offer_id = p.target_offer_id
                                 AND b.billing_cycle = s.billing_cycle)
                THEN 'offer_does_not_support_billing_cycle' END], NULL) AS error_codes
FROM fx, core.subscriptions s
JOIN core.upgrade_paths p ON p.source_offer_id = s.offer_id
JOIN core.offers t ON t.id = p.target_offer_id
WHERE s.customer_id IN (SELECT customer_id FROM mix);

CREATE TEMP TABLE whole AS
SELECT e.subscription_id, e.target_offer_id, e.error_codes
FROM fx, logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), fx.partner) e
WHERE e.customer_id IN (SELECT customer_id FROM mix);
CREATE TEMP TABLE per_customer AS
SELECT e.subscription_id, e.target_offer_id, e.error_codes
FROM fx, mix m, LATERAL logic.upgrade_evaluations(ARRAY[m.customer_id], fx.partner) e;

SELECT cmp_ok((SELECT count(DISTINCT c) FROM literal, unnest(error_codes) c), '>=', 7::bigint,
              'the mix exercises the rules (at least 7 distinct codes)');
SELECT ok((SELECT count(*) FROM literal WHERE error_codes = '{}') > 0, 'the mix has eligible upgrades too');
SELECT set_eq('SELECT * FROM whole', 'SELECT * FROM literal', 'whole evaluation = the rules read literally off SPEC 3');
SELECT set_eq('SELECT * FROM per_customer', 'SELECT * FROM literal', 'per-customer evaluation = the rules read literally');
SELECT set_eq(
    'SELECT o.subscription_id, o.target_offer_id, o.error_codes FROM report.upgrade_options o',
    format('SELECT l.* FROM literal l JOIN core.subscriptions s ON s.id = l.subscription_id
            WHERE s.partner_id = %L AND s.status <> ''cancelled'' AND s.status_reason IS DISTINCT FROM ''upgraded''',
           (SELECT partner FROM fx)),
    'report.upgrade_options = the literal rules for the partner''s subscriptions in force');
SELECT set_eq(
    'SELECT s.id, u ->> ''target_offer'', test.codes(u) FROM core.subscriptions s
     JOIN mix USING (customer_id), jsonb_array_elements(api.upgrades(s.id)) u',
    'SELECT * FROM literal',
    'api.upgrades of every subscription = the literal rules');

SELECT * FROM finish();
ROLLBACK;
