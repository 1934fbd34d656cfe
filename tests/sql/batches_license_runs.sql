-- A customer's consecutive add_licenses (or remove_licenses) rows of one subscription in a
-- batch are one step of a wave (sql/70_batches.sql): logic.licenses_apply evaluates them
-- in order, each seeing the ones before it, up to the first rejected; the rows after it
-- are asked again once it is audited. Outcomes, stored results, versions and audit events
-- (each customer's in the same order) are those of applying the rows one by one.
BEGIN;
SELECT plan(10);

-- A customer's events after p_after_id in order, without ids, times and chain fields.
CREATE FUNCTION pg_temp.events_since(p_after_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(to_jsonb(e) - 'id' - 'occurred_at' - 'chain_hash' - 'chain_previous_id'
                              ORDER BY e.customer_id, e.id), '[]')
    FROM core.audit_events e WHERE e.id > p_after_id
$$;
CREATE FUNCTION pg_temp.state(p_customers uuid[]) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_agg(jsonb_build_array(s.quantity, s.version) ORDER BY s.customer_id)
    FROM core.subscriptions s WHERE s.customer_id = ANY (p_customers)
$$;

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b, test.new_customer() AS customer_c,
       test.new_customer() AS customer_d, test.new_customer() AS customer_e \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS a_business,
       test.new_subscription(:'customer_b', 'o365-business') AS b_business,
       test.new_subscription(:'customer_c', 'o365-business', p_billing_cycle => 'annual') AS c_annual,
       test.new_subscription(:'customer_d', 'o365-business') AS d_business,
       test.new_subscription(:'customer_e', 'o365-business') AS e_business \gset
SELECT ARRAY[:'customer_a', :'customer_b', :'customer_c', :'customer_d', :'customer_e']::uuid[] AS customers \gset

-- A (10 licenses, at most 300): +100, +150, +100 (beyond 300: rejected), +5 (sees 260),
-- then a remove (another run), then +1. B: +1, +2, +3 between A's rows. C (annual): two
-- removes, both rejected. D: -3, -3, -5 (below 1: rejected), -3 (leaves 1). E: +1, then
-- +1000 (rejected), +1: one row applied before the rejection, under its own request id.
SELECT format(E'action,subscription_id,target_offer,quantity,request_id\n'
              'add_licenses,%1$s,,100,\n'
              'add_licenses,%2$s,,1,\n'
              'add_licenses,%1$s,,150,\n'
              'remove_licenses,%3$s,,1,\n'
              'add_licenses,%1$s,,100,\n'
              'add_licenses,%2$s,,2,\n'
              'add_licenses,%1$s,,5,\n'
              'remove_licenses,%4$s,,3,\n'
              'remove_licenses,%3$s,,1,\n'
              'remove_licenses,%4$s,,3,\n'
              'remove_licenses,%1$s,,2,\n'
              'remove_licenses,%4$s,,5,\n'
              'add_licenses,%2$s,,3,\n'
              'remove_licenses,%4$s,,3,\n'
              'add_licenses,%1$s,,1,\n'
              'add_licenses,%5$s,,1,\n'
              'add_licenses,%5$s,,1000,\n'
              'add_licenses,%5$s,,1,\n',
              :'a_business', :'b_business', :'c_annual', :'d_business', :'e_business') AS file \gset
SELECT max(id) AS events_before FROM core.audit_events \gset

-- ------------------------------------------------------------ one by one, for comparison (rolled back)
SAVEPOINT per_row;
SELECT test.register_batch(:'file') AS per_row \gset
SELECT test.apply_rows_one_by_one(:'partner', :'per_row'::jsonb ->> 'batch_id') AS ignored \gset
SELECT pg_temp.events_since(:events_before) AS per_row_events \gset
SELECT jsonb_agg(jsonb_build_array(line, status, error_codes, errors) ORDER BY line) AS per_row_outcomes
FROM core.batch_rows WHERE batch_id = :'per_row'::jsonb ->> 'batch_id' \gset
SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id) AS per_row_results
FROM core.request_ids r WHERE r.partner_id = :'partner' \gset
SELECT pg_temp.state(:'customers') AS per_row_state \gset
ROLLBACK TO SAVEPOINT per_row;

-- ------------------------------------------------------------ in waves of runs
-- logic.batch_apply_waves itself: api.batch_apply_chunk would redo the chunk row by row
-- if it raised, which would hide a broken run.
SELECT test.register_batch(:'file') AS run \gset
SELECT logic.batch_apply_waves(:'partner', :'run'::jsonb ->> 'batch_id', 2, 19, false) AS ignored \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'run'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'applied', '{}'::text[]), (3, 'applied', '{}'), (4, 'applied', '{}'),
                       (5, 'rejected', '{quantity_cannot_be_decreased}'), (6, 'rejected', '{quantity_out_of_range}'),
                       (7, 'applied', '{}'), (8, 'applied', '{}'), (9, 'applied', '{}'),
                       (10, 'rejected', '{quantity_cannot_be_decreased}'), (11, 'applied', '{}'), (12, 'applied', '{}'),
                       (13, 'rejected', '{quantity_out_of_range,quantity_below_assigned_licenses}'), (14, 'applied', '{}'), (15, 'applied', '{}'),
                       (16, 'applied', '{}'), (17, 'applied', '{}'), (18, 'rejected', '{quantity_out_of_range}'),
                       (19, 'applied', '{}')$$,
              'each row of a run sees the rows before it; a rejected row changes nothing for those after it');
SELECT is((SELECT jsonb_agg(jsonb_build_array(line, status, error_codes, errors) ORDER BY line)
           FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id'),
          :'per_row_outcomes'::jsonb, 'the outcomes and error details are those of one by one');
SELECT is(pg_temp.state(:'customers'), :'per_row_state'::jsonb,
          'the quantities and versions are those of one by one (a version per applied row)');
SELECT is(pg_temp.events_since(:events_before), :'per_row_events'::jsonb,
          'the audit events are those of one by one, in the same order for each customer, each under its row''s request id');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id)
           FROM core.request_ids r WHERE r.partner_id = :'partner'),
          :'per_row_results'::jsonb, 'the stored results are those of one by one');
SELECT is((SELECT count(*) FROM logic.audit_chains(:'customers', NULL, NULL) c WHERE c.status <> 'ok'), 0::bigint,
          'the customers'' audit chains hold');
SELECT is((SELECT count(*) FROM logic.audit_unrecorded_changes(:'customers', NULL)), 0::bigint,
          'every quantity and version is the one the audit trail records');
SELECT is(current_setting('subctl.steps', true), '', 'no steps are left behind');

-- A long run rejected row after row: one pass per row until none is left.
SELECT test.register_batch(E'action,subscription_id,target_offer,quantity,request_id\n'
                           || string_agg(format('remove_licenses,%s,,1,', :'c_annual'), E'\n') || E'\n') AS long_run
FROM generate_series(1, 400) \gset
SELECT logic.batch_apply_waves(:'partner', :'long_run'::jsonb ->> 'batch_id', 2, 401, false) AS ignored \gset
SELECT is((SELECT count(*) FROM core.batch_rows WHERE batch_id = :'long_run'::jsonb ->> 'batch_id'
           AND status = 'rejected' AND error_codes = '{quantity_cannot_be_decreased}'), 400::bigint,
          'a run of 400 rows each rejected: every row recorded');

-- The apply path itself: the requests after a subscription's first rejection come back
-- without a result, nothing of theirs applied.
SELECT logic.begin_operation('add_licenses') AS ignored \gset
SELECT is((SELECT jsonb_agg(jsonb_build_array(l.ord, l.result ->> 'status', l.result -> 'quantity') ORDER BY l.ord)
           FROM logic.licenses_apply(:'partner', ARRAY[jsonb_build_object('subscription_id', :'b_business', 'quantity', 4),
                                                        jsonb_build_object('subscription_id', :'b_business', 'quantity', 1000),
                                                        jsonb_build_object('subscription_id', :'b_business', 'quantity', 1)], 1) l),
          jsonb_build_array(jsonb_build_array(1, 'succeeded', 20), jsonb_build_array(2, 'rejected', 20), jsonb_build_array(3, NULL, NULL)),
          'licenses_apply: a request after the first rejected one of its subscription is not applied');

SELECT * FROM finish();
ROLLBACK;
