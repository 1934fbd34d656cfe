-- A batch's upgrades move the users' licenses like a single upgrade, and each moved
-- license's audit events (off the source, onto the target) carry the row's request id and
-- the batch: provenance is per row, also for the rows a set-based wave upgrades at once.
BEGIN;
SELECT plan(3);

SELECT test.act_as_new_partner('blt') AS partner \gset
SELECT test.new_customer() AS a, test.new_customer() AS b \gset
SELECT test.new_subscription(:'a', 'o365-business', 5) AS sub_a, test.new_subscription(:'b', 'o365-business', 5) AS sub_b \gset
SELECT api.user_add(c, u || '@blt.partner.onmschina.cn') ->> 'status' AS ignored
FROM (VALUES (:'a'::uuid, 'a1'), (:'a', 'a2'), (:'b', 'b1')) x (c, u) \g /dev/null
SELECT api.license_change('assign', :'sub_a', ARRAY['a1@blt.partner.onmschina.cn', 'a2@blt.partner.onmschina.cn']) ->> 'status' AS ignored,
       api.license_change('assign', :'sub_b', ARRAY['b1@blt.partner.onmschina.cn']) ->> 'status' AS ignored \gset
SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\n'
                                  'upgrade,%s,o365-business-premium,,row-a\n'
                                  'upgrade,%s,o365-business-premium,,row-b\n', :'sub_a', :'sub_b')) ->> 'batch_id' AS batch \gset
SELECT api.batch_apply_chunk(:'batch', 2, 3) ->> 'status' AS ignored \gset

SELECT is(ARRAY(SELECT status FROM core.batch_rows WHERE batch_id = :'batch' ORDER BY line), '{applied,applied}',
          'both rows applied (one wave: two customers)');
SELECT is((SELECT count(*) FROM core.license_assignments a JOIN core.subscriptions s ON s.id = a.subscription_id
           WHERE s.upgraded_from_subscription_id IN (:'sub_a', :'sub_b')), 3::bigint, 'the three licenses are on the targets');
SELECT is(ARRAY(SELECT request_id || ' ' || batch_id || ' ' || count(*) FROM core.audit_events
                WHERE entity = 'license_assignments' AND operation = 'upgrade' AND customer_id IN (:'a', :'b')
                GROUP BY request_id, batch_id ORDER BY 1),
          ARRAY['row-a ' || :'batch' || ' 4', 'row-b ' || :'batch' || ' 2'],
          'each moved license''s two events carry its row''s request id and the batch');

SELECT * FROM finish();
ROLLBACK;
