-- report.licenses counts per customer first and then per group (migration 007): it must
-- equal the plain distinct count over the partner's customers' subscriptions, with a
-- customer holding two subscriptions of one group, other channels, two other resellers'
-- subscriptions of one offer for a shared customer, and another partner's customers
-- left out.
BEGIN;
SELECT plan(3);

CREATE TEMP TABLE fx (partner text, rival text, a uuid, b uuid, shared uuid);
INSERT INTO fx (rival) SELECT test.act_as_new_partner('rival');
SELECT test.new_subscription(test.new_customer(), 'o365-e1', 50);  -- the rival's own customer
UPDATE fx SET shared = test.new_customer();
SELECT test.new_subscription(shared, 'o365-e3', 7) FROM fx;
-- a third reseller sells the shared customer E3 too
SELECT test.act_as_new_partner('third');
SELECT test.link(shared, current_setting('subctl.partner_id')) FROM fx \g /dev/null
SELECT test.new_relationship(shared, false), test.new_subscription(shared, 'o365-e3', 2) FROM fx \g /dev/null
UPDATE fx SET partner = test.act_as_new_partner();
UPDATE fx SET a = test.new_customer(), b = test.new_customer();
SELECT test.link(shared, partner) FROM fx \g /dev/null
SELECT test.new_relationship(shared, false) FROM fx \g /dev/null
SELECT test.new_subscription(a, 'o365-e1', 5), test.new_subscription(a, 'o365-e1', 6),
       test.new_subscription(a, 'o365-business', 3, 'direct'), test.new_subscription(b, 'o365-e1', 2),
       test.new_subscription(b, 'o365-proplus', 4, 'other-reseller'), test.new_subscription(shared, 'o365-e3', 1)
FROM fx \g /dev/null
SELECT api.subscription_change('suspend', (SELECT id FROM core.subscriptions WHERE customer_id = fx.b AND offer_id = 'o365-e1'))
FROM fx \g /dev/null

SELECT set_eq('SELECT * FROM report.licenses',
              format($$SELECT s.offer_id, o.name, s.channel, s.status, s.partner_id IS NOT DISTINCT FROM %1$L,
                              count(*) AS n, sum(s.quantity) AS q, count(DISTINCT s.customer_id) AS c
                       FROM core.subscriptions s JOIN core.offers o ON o.id = s.offer_id
                       WHERE s.customer_id IN (SELECT customer_id FROM core.partner_customers WHERE partner_id = %1$L)
                       GROUP BY 1, 2, 3, 4, 5$$, (SELECT partner FROM fx)),
              'report.licenses = the distinct count over the partner''s customers');
SELECT is((SELECT ARRAY[subscriptions, licenses, customers] FROM report.licenses
           WHERE offer_id = 'o365-e1' AND status = 'active' AND sold_by_you),
          ARRAY[2, 11, 1]::bigint[], 'two E1 subscriptions of one customer: 2 subscriptions, 11 licenses, 1 customer');
SELECT is((SELECT ARRAY[subscriptions, licenses, customers] FROM report.licenses
           WHERE offer_id = 'o365-e3' AND status = 'active' AND NOT sold_by_you),
          ARRAY[2, 9, 1]::bigint[], 'two other resellers'' E3 of one customer: 2 subscriptions, 9 licenses, 1 customer');

SELECT * FROM finish();
ROLLBACK;
