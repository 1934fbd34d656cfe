-- CSV batch upgrades applied set-based, in waves (sql/70_batches.sql, logic.upgrade_apply):
-- a wave holds one pending row per customer; its new upgrades go through one INSERT of
-- the targets and one UPDATE of the sources, every audit event under its own row's
-- request id. Outcomes, audit events and stored results are those of the per-row path.
BEGIN;
SELECT plan(24);

-- The audit events after p_after_id without ids and timestamps, each new target's id
-- written as target-of-<its source>, sorted: comparable between two runs.
-- A stored result without the ids of the targets its run created (each run creates its
-- own), wherever they appear: the result's target, an error's details.
CREATE FUNCTION pg_temp.without_new_ids(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v text := (p - 'target_subscription_id')::text;
    v_id uuid;
BEGIN
    FOR v_id IN SELECT id FROM core.subscriptions WHERE upgraded_from_subscription_id IS NOT NULL LOOP
        v := replace(v, v_id::text, 'a target of this run');
    END LOOP;
    RETURN v::jsonb;
END $$;
CREATE FUNCTION pg_temp.events_since(p_after_id bigint)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v text;
    t record;
BEGIN
    SELECT coalesce(jsonb_agg(to_jsonb(e) - 'id' - 'occurred_at' - 'chain_hash' - 'chain_previous_id'), '[]')::text INTO v
    FROM core.audit_events e WHERE e.id > p_after_id;
    FOR t IN SELECT s.id, s.upgraded_from_subscription_id FROM core.subscriptions s
             WHERE s.upgraded_from_subscription_id IS NOT NULL AND strpos(v, s.id::text) > 0 LOOP
        v := replace(v, t.id::text, 'target-of-' || t.upgraded_from_subscription_id);
    END LOOP;
    RETURN (SELECT jsonb_agg(x ORDER BY x::text) FROM jsonb_array_elements(v::jsonb) x);
END $$;

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b, test.new_customer() AS customer_c,
       test.new_customer() AS customer_d, test.new_customer() AS customer_e \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS a_business,
       test.new_subscription(:'customer_b', 'o365-business') AS b_business,
       test.new_subscription(:'customer_b', 'o365-proplus') AS b_proplus,
       test.new_subscription(:'customer_c', 'o365-business') AS c_business,
       test.new_subscription(:'customer_d', 'o365-business') AS d_business,
       test.new_subscription(:'customer_e', 'o365-business') AS e_business,
       test.new_subscription(:'customer_e', 'o365-business') AS e_business_2 \gset
-- Request ids used by the command line before the batch: the same upgrade, and another operation.
SELECT api.upgrade(:'c_business', 'o365-e3', p_request_id => 'cli-' || :'partner') AS cli_result \gset
SELECT api.licenses_change('add', :'d_business', 1, 'cli-other-' || :'partner') AS ignored \gset

-- Wave 1: lines 2 (eligible), 3 (quantity out of range), 4 (a suspend: per row), 6 (request
-- id of the same CLI upgrade: replayed), 7 (request id of another operation: reused), 8
-- (eligible); wave 2: lines 5 (A again: its source is replaced now) and 9 (E's other
-- Business to ProPlus: owned now, by line 8).
SELECT format(E'action,subscription_id,target_offer,quantity,request_id\n'
              'upgrade,%1$s,o365-business-premium,,\n'
              'upgrade,%2$s,o365-business-premium,100000,\n'
              'suspend,%3$s,,,\n'
              'upgrade,%1$s,o365-e3,,\n'
              'upgrade,%4$s,o365-e3,,cli-%8$s\n'
              'upgrade,%5$s,o365-e3,,cli-other-%8$s\n'
              'upgrade,%6$s,o365-proplus,,\n'
              'upgrade,%7$s,o365-proplus,,\n',
              :'a_business', :'b_business', :'b_proplus', :'c_business', :'d_business', :'e_business',
              :'e_business_2', :'partner') AS file \gset
SELECT max(id) AS events_before FROM core.audit_events \gset

-- ------------------------------------------------------------ dry run: outcomes, nothing left
SELECT count(*) AS request_ids_before FROM core.request_ids \gset
SELECT jsonb_agg(test.customer_subscriptions(c) ORDER BY c) AS state_before
FROM unnest(ARRAY[:'customer_a', :'customer_b', :'customer_c', :'customer_d', :'customer_e']::uuid[]) c \gset
SELECT test.register_batch(:'file', 'dry-' || :'partner') AS dry \gset
SELECT api.batch_apply_chunk(:'dry'::jsonb ->> 'batch_id', 2, 9, true) AS ignored \gset
SELECT set_eq(format('SELECT line, status, error_codes, new_subscription_id IS NOT NULL FROM core.batch_rows WHERE batch_id = %L',
                     :'dry'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'dry_run', '{}'::text[], true), (3, 'rejected', '{quantity_out_of_range}', false),
                       (4, 'dry_run', '{}', false), (5, 'dry_run', '{}', true), (6, 'already_applied', '{}', true),
                       (7, 'rejected', '{request_id_reused}', false), (8, 'dry_run', '{}', true), (9, 'dry_run', '{}', true)$$,
              'a dry run reports each row against the current state, with the target it would create');
SELECT is((SELECT jsonb_agg(test.customer_subscriptions(c) ORDER BY c)
           FROM unnest(ARRAY[:'customer_a', :'customer_b', :'customer_c', :'customer_d', :'customer_e']::uuid[]) c),
          :'state_before'::jsonb, 'a dry run changes no subscription');
SELECT is((SELECT count(*) FROM core.audit_events WHERE id > :events_before), 0::bigint, 'a dry run leaves no audit event');
SELECT is((SELECT count(*) FROM core.request_ids), :request_ids_before::bigint, 'a dry run stores no request id');
SELECT is(current_setting('subctl.request_ids', true), '', 'a dry run leaves no request id mapping behind');

-- ------------------------------------------------------------ the per-row path, for comparison (rolled back)
SAVEPOINT per_row;
SELECT test.register_batch(:'file') AS per_row \gset
SELECT test.apply_rows_one_by_one(:'partner', :'per_row'::jsonb ->> 'batch_id') AS ignored \gset
SELECT pg_temp.events_since(:events_before) AS per_row_events \gset
SELECT jsonb_agg(jsonb_build_array(line, status, error_codes) ORDER BY line) AS per_row_outcomes
FROM core.batch_rows WHERE batch_id = :'per_row'::jsonb ->> 'batch_id' \gset
SELECT jsonb_agg(jsonb_build_array(r.request_id, pg_temp.without_new_ids(r.result)) ORDER BY r.request_id) AS per_row_results
FROM core.request_ids r WHERE r.partner_id = :'partner' \gset
ROLLBACK TO SAVEPOINT per_row;

-- ------------------------------------------------------------ the set-based run
SELECT test.register_batch(:'file') AS run \gset
SELECT api.batch_apply_chunk(:'run'::jsonb ->> 'batch_id', 2, 9) AS counts \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'run'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'applied', '{}'::text[]), (3, 'rejected', '{quantity_out_of_range}'), (4, 'applied', '{}'),
                       (5, 'rejected', '{subscription_status_not_active,conflicting_service_types}'),
                       (6, 'already_applied', '{}'), (7, 'rejected', '{request_id_reused}'), (8, 'applied', '{}'),
                       (9, 'rejected', '{conflicting_service_types,target_offer_already_owned}')$$,
              'a wave mixes eligible and rejected rows; rows of one customer in successive waves see each other');
-- A chunk refreshes the stored upgrade options of its customers once, at its end.
SELECT set_eq('SELECT * FROM core.upgrade_options',
              'SELECT * FROM logic.upgrade_options_of(ARRAY(SELECT id FROM core.customers))',
              'after a chunk the stored upgrade options are those computed afresh');
SELECT is(coalesce(current_setting('subctl.upgrade_options_deferred', true), '')
          || coalesce(current_setting('subctl.upgrade_options_pending', true), ''), '',
          'a chunk leaves no deferred refresh behind');
SELECT is((SELECT jsonb_agg(jsonb_build_array(line, status, error_codes) ORDER BY line)
           FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id'),
          :'per_row_outcomes'::jsonb, 'the outcomes are those of the per-row path');
SELECT is(pg_temp.events_since(:events_before), :'per_row_events'::jsonb,
          'the audit events are those of the per-row path, row for row (ids, times, chain hashes and new ids aside)');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r.request_id, pg_temp.without_new_ids(r.result)) ORDER BY r.request_id)
           FROM core.request_ids r WHERE r.partner_id = :'partner'),
          :'per_row_results'::jsonb, 'the stored results are those of the per-row path');

-- Per-row request ids in the audit events of a set-based wave.
SELECT is((SELECT count(*) FROM core.batch_rows r JOIN core.audit_events e
           ON e.batch_id = r.batch_id AND e.request_id = r.request_id AND e.outcome = 'succeeded'
           AND e.entity_id IN (r.subscription_id::text, r.new_subscription_id::text)
           WHERE r.batch_id = :'run'::jsonb ->> 'batch_id' AND r.status = 'applied' AND r.action = 'upgrade'),
          4::bigint, 'each applied upgrade: its target''s and its source''s events carry its own request id');
SELECT is((SELECT count(*) FROM core.audit_events e WHERE e.batch_id = :'run'::jsonb ->> 'batch_id'
           AND NOT EXISTS (SELECT 1 FROM core.batch_rows r WHERE r.batch_id = e.batch_id AND r.request_id = e.request_id
                           AND (e.entity_id IN (r.subscription_id::text, r.new_subscription_id::text)))),
          0::bigint, 'no event of the batch lacks its row''s request id');
SELECT bag_eq(format($$SELECT r.line, e.error_codes FROM core.batch_rows r JOIN core.audit_events e
                       ON e.batch_id = r.batch_id AND e.request_id = r.request_id AND e.outcome = 'rejected'
                       WHERE r.batch_id = %L$$, :'run'::jsonb ->> 'batch_id'),
              $$VALUES (3::bigint, '{quantity_out_of_range}'::text[]),
                       (5, '{subscription_status_not_active,conflicting_service_types}'),
                       (7, '{request_id_reused}'), (9, '{conflicting_service_types,target_offer_already_owned}')$$,
              'one rejection event per rejected row, with its request id and codes');
SELECT is((SELECT count(*) FROM core.audit_events WHERE batch_id = :'run'::jsonb ->> 'batch_id'
           AND (operation <> 'upgrade' AND entity_id <> :'b_proplus' OR source <> 'batch' OR partner_id <> :'partner')),
          0::bigint, 'every event: operation upgrade (suspend aside), source batch, the acting partner');
SELECT is(current_setting('subctl.request_ids', true), '', 'no request id mapping is left behind');

-- The request id of a CLI upgrade replays (line 6); a set-based row's request id replays on the command line.
SELECT is((SELECT new_subscription_id FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id' AND line = 6),
          (:'cli_result'::jsonb ->> 'target_subscription_id')::uuid, 'a request id used by a CLI upgrade: already applied, its target');
SELECT r.request_id AS line2_request, r.new_subscription_id AS line2_target
FROM core.batch_rows r WHERE r.batch_id = :'run'::jsonb ->> 'batch_id' AND r.line = 2 \gset
SELECT is(api.upgrade(:'a_business', 'o365-business-premium', p_request_id => :'line2_request'),
          jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb, 'source_subscription_id', :'a_business',
                             'target_offer', 'o365-business-premium', 'target_subscription_id', :'line2_target',
                             'quantity', 10, 'next_steps', logic.upgrade_next_steps('o365-business', 10, 'o365-business-premium', 10),
                             'upgrade_type', 'upgrade_with_license_transfer', 'licenses_transferred', 0,
                             'request_id', :'line2_request'),
          'a CLI replay of a set-based row''s request id returns the identical result, naming the request id');
SELECT is((SELECT count(*) FROM core.subscriptions WHERE upgraded_from_subscription_id = :'a_business'), 1::bigint,
          'and creates nothing');

-- The single upgrade goes through the same set-based function: one request.
SELECT test.new_subscription(test.new_customer(), 'o365-business-essentials') AS d_essentials \gset
SELECT max(id) AS events_single FROM core.audit_events \gset
SELECT is(api.upgrade(:'d_essentials', 'o365-business-premium', p_request_id => 'single-' || :'partner') ->> 'status',
          'succeeded', 'a single upgrade');
SELECT is((SELECT array_agg(request_id) FROM core.audit_events WHERE subscription_id IN
           (SELECT id FROM core.subscriptions WHERE :'d_essentials' IN (id, upgraded_from_subscription_id)) AND id > :events_single),
          ARRAY['single-' || :'partner', 'single-' || :'partner'], 'its events carry its request id');

-- A request id mapping SET by the session is ignored: an operation's events carry its own request id.
SELECT test.new_subscription(test.new_customer(), 'o365-business-essentials') AS h_essentials \gset
SELECT max(id) AS events_forged FROM core.audit_events \gset
SELECT set_config('subctl.request_ids', jsonb_build_object(:'h_essentials', 'forged')::text, false) AS ignored \gset
SELECT is(api.upgrade(:'h_essentials', 'o365-business-premium', p_request_id => 'own-' || :'partner') ->> 'status',
          'succeeded', 'an upgrade after SET subctl.request_ids');
SELECT is((SELECT array_agg(request_id) FROM core.audit_events WHERE id > :events_forged),
          ARRAY['own-' || :'partner', 'own-' || :'partner'], 'its events carry its own request id, not the forged one');
SELECT set_config('subctl.request_ids', '', false) AS ignored \gset

-- ------------------------------------------------------------ an invariant raised inside a wave
-- A trigger refusing quantity 77 (standing in for any invariant): the chunk is redone row
-- by row, that row rejected with the code of its SQLSTATE, the others applied.
CREATE FUNCTION pg_temp.refuse_77() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.quantity = 77 THEN
        RAISE EXCEPTION USING ERRCODE = 'SU025', MESSAGE = 'refused for the test';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_77 BEFORE INSERT ON core.subscriptions FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_77();
SELECT test.new_customer() AS customer_f, test.new_customer() AS customer_g \gset
SELECT test.new_subscription(:'customer_f', 'o365-business') AS f_business,
       test.new_subscription(:'customer_g', 'o365-business') AS g_business \gset
SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\n'
                               'upgrade,%s,o365-e3,77,\nupgrade,%s,o365-e3,,\n', :'f_business', :'g_business')) AS bad \gset
SELECT api.batch_apply_chunk(:'bad'::jsonb ->> 'batch_id', 2, 3) AS ignored \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'bad'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'rejected', '{add_on_parent_invalid}'::text[]), (3, 'applied', '{}')$$,
              'a row raising inside a set-based wave: the chunk is redone row by row, the other row applied');
DROP TRIGGER refuse_77 ON core.subscriptions;

SELECT * FROM finish();
ROLLBACK;
