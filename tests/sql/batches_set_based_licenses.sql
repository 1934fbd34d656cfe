-- CSV batch license changes applied set-based, in waves (sql/70_batches.sql,
-- logic.licenses_apply, the path of `subctl licenses add/remove` too): a wave's
-- add_licenses and remove_licenses rows go through one UPDATE each. Outcomes, audit
-- events and stored results are those of the per-row path, row for row.
BEGIN;
SELECT plan(6);

CREATE FUNCTION pg_temp.events_since(p_after_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(e) - 'id' - 'occurred_at' - 'chain_hash' - 'chain_previous_id' ORDER BY e.id), '[]')
    FROM core.audit_events e WHERE e.id > p_after_id
$$;

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b, test.new_customer() AS customer_c,
       test.new_customer() AS customer_d, test.new_customer() AS customer_e \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS a_business,
       test.new_subscription(:'customer_b', 'o365-business') AS b_business,
       test.new_subscription(:'customer_c', 'o365-business') AS c_business,
       test.new_subscription(:'customer_d', 'o365-business', p_billing_cycle => 'annual') AS d_annual,
       test.new_subscription(:'customer_e', 'o365-business') AS e_business \gset
SELECT api.subscription_change('suspend', :'e_business') AS ignored \gset
SELECT version AS a_version FROM core.subscriptions WHERE id = :'a_business' \gset

-- Wave 1: lines 2 (add), 3 (remove), 4 (beyond the offer's maximum), 5 (remove from an
-- annual subscription), 6 (a suspended subscription), 7 (no such subscription); wave 2:
-- line 8 (A again: sees line 2); wave 3: line 9 (A: all its licenses, which leaves none).
SELECT format(E'action,subscription_id,target_offer,quantity,request_id\n'
              'add_licenses,%1$s,,5,\n'
              'remove_licenses,%2$s,,1,\n'
              'add_licenses,%3$s,,100000,\n'
              'remove_licenses,%4$s,,1,\n'
              'add_licenses,%5$s,,1,\n'
              'add_licenses,%6$s,,1,\n'
              'add_licenses,%1$s,,1,\n'
              'remove_licenses,%1$s,,16,\n',
              :'a_business', :'b_business', :'c_business', :'d_annual', :'e_business', gen_random_uuid(),
              :'partner') AS file \gset
SELECT max(id) AS events_before FROM core.audit_events \gset

-- ------------------------------------------------------------ the per-row path, for comparison (rolled back)
SAVEPOINT per_row;
SELECT test.register_batch(:'file') AS per_row \gset
SELECT test.apply_rows_one_by_one(:'partner', :'per_row'::jsonb ->> 'batch_id') AS ignored \gset
SELECT pg_temp.events_since(:events_before) AS per_row_events \gset
SELECT jsonb_agg(jsonb_build_array(line, status, error_codes) ORDER BY line) AS per_row_outcomes
FROM core.batch_rows WHERE batch_id = :'per_row'::jsonb ->> 'batch_id' \gset
SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id) AS per_row_results
FROM core.request_ids r WHERE r.partner_id = :'partner' \gset
ROLLBACK TO SAVEPOINT per_row;

-- ------------------------------------------------------------ the set-based run
SELECT test.register_batch(:'file') AS run \gset
SELECT api.batch_apply_chunk(:'run'::jsonb ->> 'batch_id', 2, 9) AS counts \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'run'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'applied', '{}'::text[]), (3, 'applied', '{}'), (4, 'rejected', '{quantity_out_of_range}'),
                       (5, 'rejected', '{quantity_cannot_be_decreased}'), (6, 'rejected', '{subscription_status_not_active}'),
                       (7, 'rejected', '{subscription_not_found}'), (8, 'applied', '{}'),
                       (9, 'rejected', '{quantity_out_of_range}')$$,
              'a wave mixes applied and rejected license changes; a customer''s next row sees its previous one');
SELECT is((SELECT jsonb_agg(jsonb_build_array(line, status, error_codes) ORDER BY line)
           FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id'),
          :'per_row_outcomes'::jsonb, 'the outcomes are those of the per-row path');
SELECT is((SELECT jsonb_agg(x ORDER BY x::text) FROM jsonb_array_elements(pg_temp.events_since(:events_before)) x),
          (SELECT jsonb_agg(x ORDER BY x::text) FROM jsonb_array_elements(:'per_row_events'::jsonb) x),
          'the audit events are those of the per-row path, each with its row''s request id (ids and times aside)');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id)
           FROM core.request_ids r WHERE r.partner_id = :'partner'),
          :'per_row_results'::jsonb, 'the stored results are those of the per-row path');
SELECT is((SELECT jsonb_build_array(quantity, version) FROM core.subscriptions WHERE id = :'a_business'),
          jsonb_build_array(16, :a_version + 2), 'A: two changes applied, one version each');
SELECT is(current_setting('subctl.request_ids', true), '', 'no request id mapping is left behind');

SELECT * FROM finish();
ROLLBACK;
