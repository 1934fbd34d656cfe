-- CSV batch status changes applied set-based, in waves (sql/70_batches.sql,
-- logic.status_apply, the path of `subctl subscription suspend/reactivate/cancel` too): a
-- wave's suspend, reactivate and cancel rows go through one UPDATE each (a cancel's
-- add-ons through one more, their licenses through one DELETE). Outcomes, audit events,
-- stored results and versions are those of the per-row path, row for row.
BEGIN;
SELECT plan(8);

CREATE FUNCTION pg_temp.events_since(p_after_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(x ORDER BY x::text), '[]')
    FROM (SELECT to_jsonb(e) - 'id' - 'occurred_at' - 'chain_hash' - 'chain_previous_id' AS x
          FROM core.audit_events e WHERE e.id > p_after_id) e
$$;
-- The statements that updated subscriptions, with their rows (a statement trigger of
-- this test, gone with its transaction).
CREATE TEMP TABLE statements (n serial, rows bigint);
CREATE FUNCTION pg_temp.count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.statements (rows) SELECT count(*) FROM new_rows HAVING count(*) > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER test_count_updates AFTER UPDATE ON core.subscriptions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.count_statement();

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b, test.new_customer() AS customer_c,
       test.new_customer() AS customer_d, test.new_customer() AS customer_f, test.new_customer() AS customer_g \gset
SELECT test.new_subscription(:'customer_a', 'o365-e3') AS a_e3, test.new_subscription(:'customer_b', 'o365-business') AS b_sub,
       test.new_subscription(:'customer_c', 'o365-business') AS c_sub, test.new_subscription(:'customer_d', 'o365-business') AS d_sub,
       test.new_subscription(:'customer_f', 'o365-business') AS f_sub, test.new_subscription(:'customer_g', 'o365-business') AS g_sub \gset
SELECT test.new_subscription(:'customer_a', 'o365-extra-file-storage', p_parent => :'a_e3') AS a_add_on \gset
SELECT api.user_add(:'customer_a', 'anna@a.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer_g', 'gus@g.partner.onmschina.cn') ->> 'id' AS gus,
       api.user_add(:'customer_g', 'gil@g.partner.onmschina.cn') ->> 'id' AS gil \gset
SELECT api.license_change('assign', :'a_e3', ARRAY[:'anna']), api.license_change('assign', :'g_sub', ARRAY[:'gus', :'gil']),
       api.subscription_change('suspend', :'c_sub'), api.subscription_change('cancel', :'f_sub') AS ignored \gset

-- Wave 1: lines 2 (cancel A, its add-on and Anna's license), 3 (suspend B), 4
-- (reactivate C), 5 (reactivate D: active), 6 (no such subscription), 7 (suspend F:
-- cancelled), 8 (cancel G and its two licenses); wave 2: line 9 (B again: sees line 3).
SELECT format(E'action,subscription_id,target_offer,quantity,request_id\n'
              'cancel,%1$s,,,\n'
              'suspend,%2$s,,,\n'
              'reactivate,%3$s,,,\n'
              'reactivate,%4$s,,,\n'
              'cancel,%5$s,,,\n'
              'suspend,%6$s,,,\n'
              'cancel,%7$s,,,\n'
              'reactivate,%2$s,,,\n',
              :'a_e3', :'b_sub', :'c_sub', :'d_sub', gen_random_uuid(), :'f_sub', :'g_sub') AS file \gset
SELECT max(id) AS events_before FROM core.audit_events \gset

-- ------------------------------------------------------------ the per-row path, for comparison (rolled back)
SAVEPOINT per_row;
SELECT test.register_batch(:'file') AS per_row \gset
SELECT test.apply_rows_one_by_one(:'partner', :'per_row'::jsonb ->> 'batch_id') AS ignored \gset
SELECT pg_temp.events_since(:events_before) AS per_row_events \gset
SELECT jsonb_agg(jsonb_build_array(line, status, error_codes, errors) ORDER BY line) AS per_row_outcomes
FROM core.batch_rows WHERE batch_id = :'per_row'::jsonb ->> 'batch_id' \gset
SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id) AS per_row_results
FROM core.request_ids r WHERE r.partner_id = :'partner' \gset
SELECT jsonb_agg(jsonb_build_array(s.id, s.status, s.status_reason, s.version) ORDER BY s.id) AS per_row_subscriptions
FROM core.subscriptions s WHERE s.partner_id = :'partner' \gset
ROLLBACK TO SAVEPOINT per_row;
TRUNCATE pg_temp.statements;

-- ------------------------------------------------------------ the set-based run
SELECT test.register_batch(:'file') AS run \gset
SELECT api.batch_apply_chunk(:'run'::jsonb ->> 'batch_id', 2, 9) AS counts \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'run'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'applied', '{}'::text[]), (3, 'applied', '{}'), (4, 'applied', '{}'),
                       (5, 'rejected', '{invalid_status_transition}'), (6, 'rejected', '{subscription_not_found}'),
                       (7, 'rejected', '{invalid_status_transition}'), (8, 'applied', '{}'), (9, 'applied', '{}')$$,
              'a wave mixes applied and rejected status changes; a customer''s next row sees its previous one');
SELECT is((SELECT jsonb_agg(jsonb_build_array(line, status, error_codes, errors) ORDER BY line)
           FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id'),
          :'per_row_outcomes'::jsonb, 'the outcomes and error objects are those of the per-row path');
SELECT is(pg_temp.events_since(:events_before), :'per_row_events'::jsonb,
          'the audit events are those of the per-row path, each with its row''s request id (ids and times aside)');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id)
           FROM core.request_ids r WHERE r.partner_id = :'partner'),
          :'per_row_results'::jsonb, 'the stored results are those of the per-row path');
SELECT is((SELECT jsonb_agg(jsonb_build_array(s.id, s.status, s.status_reason, s.version) ORDER BY s.id)
           FROM core.subscriptions s WHERE s.partner_id = :'partner'),
          :'per_row_subscriptions'::jsonb, 'the statuses and versions are those of the per-row path');
SELECT is((SELECT r.result -> 'cancelled_add_ons' || jsonb_build_array(r.result -> 'licenses_released')
           FROM core.request_ids r JOIN core.batch_rows b ON b.request_id = r.request_id
           WHERE b.batch_id = :'run'::jsonb ->> 'batch_id' AND b.line = 2),
          jsonb_build_array(:'a_add_on', 1), 'A''s cancel names its add-on and Anna''s license released');
SELECT ok(EXISTS (SELECT 1 FROM pg_temp.statements WHERE rows = 2),
          'the cancels of A and G are one UPDATE');
SELECT is(current_setting('subctl.request_ids', true), '', 'no request id mapping is left behind');

SELECT * FROM finish();
ROLLBACK;
