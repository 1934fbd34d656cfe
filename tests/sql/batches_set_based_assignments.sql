-- CSV batch license assignments applied set-based, in waves (sql/70_batches.sql,
-- logic.license_assignments_apply, the path of `subctl license assign/unassign` too): a
-- wave's assign_license rows go through one INSERT, its unassign_license rows through
-- one DELETE. Outcomes, audit events and stored results are those of the per-row path,
-- row for row.
BEGIN;
SELECT plan(14);

CREATE FUNCTION pg_temp.events_since(p_after_id bigint) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(x ORDER BY x::text), '[]')
    FROM (SELECT to_jsonb(e) - 'id' - 'occurred_at' - 'chain_hash' - 'chain_previous_id' AS x
          FROM core.audit_events e WHERE e.id > p_after_id) e
$$;
-- The statements that wrote license assignments, with their rows (a statement trigger of
-- this test, gone with its transaction).
CREATE TEMP TABLE statements (n serial, operation text, rows bigint);
CREATE FUNCTION pg_temp.count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pg_temp.statements (operation, rows) SELECT TG_OP, count(*) FROM new_rows HAVING count(*) > 0;
    ELSE
        INSERT INTO pg_temp.statements (operation, rows) SELECT TG_OP, count(*) FROM old_rows HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER test_count_inserts AFTER INSERT ON core.license_assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.count_statement();
CREATE TRIGGER test_count_deletes AFTER DELETE ON core.license_assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.count_statement();

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b, test.new_customer() AS customer_c,
       test.new_customer() AS customer_d, test.new_customer() AS customer_e, test.new_customer() AS customer_f,
       test.new_customer() AS customer_g, test.new_customer() AS customer_h, test.new_customer() AS customer_i,
       test.new_customer() AS customer_j \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS a_sub, test.new_subscription(:'customer_b', 'o365-business') AS b_sub,
       test.new_subscription(:'customer_c', 'o365-business') AS c_sub, test.new_subscription(:'customer_d', 'o365-business') AS d_sub,
       test.new_subscription(:'customer_e', 'o365-business') AS e_sub, test.new_subscription(:'customer_f', 'o365-business', 1) AS f_sub,
       test.new_subscription(:'customer_g', 'o365-business') AS g_sub, test.new_subscription(:'customer_h', 'o365-business') AS h_sub,
       test.new_subscription(:'customer_i', 'o365-business', p_channel => 'direct') AS i_sub,
       test.new_subscription(:'customer_j', 'o365-business') AS j_sub \gset
SELECT api.user_add(:'customer_a', 'anna@a.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer_a', 'ben@a.partner.onmschina.cn') ->> 'id' AS ben,
       api.user_add(:'customer_b', 'bo@b.partner.onmschina.cn') ->> 'id' AS bo,
       api.user_add(:'customer_c', 'cy@c.partner.onmschina.cn') ->> 'id' AS cy,
       api.user_add(:'customer_e', 'eve@e.partner.onmschina.cn') ->> 'id' AS eve,
       api.user_add(:'customer_f', 'fay@f.partner.onmschina.cn') ->> 'id' AS fay,
       api.user_add(:'customer_f', 'fred@f.partner.onmschina.cn') ->> 'id' AS fred,
       api.user_add(:'customer_g', 'gus@g.partner.onmschina.cn') ->> 'id' AS gus,
       api.user_add(:'customer_h', 'hal@h.partner.onmschina.cn') ->> 'id' AS hal,
       api.user_add(:'customer_i', 'ida@i.partner.onmschina.cn') ->> 'id' AS ida,
       api.user_add(:'customer_j', 'jo@j.partner.onmschina.cn') ->> 'id' AS jo \gset
SELECT api.license_change('assign', :'c_sub', ARRAY[:'cy']), api.license_change('assign', :'f_sub', ARRAY[:'fay']),
       api.license_change('assign', :'g_sub', ARRAY[:'gus']),
       api.license_change('assign', :'j_sub', ARRAY[:'jo'], p_request_id => 'cli-' || :'partner') AS ignored \gset
SELECT api.subscription_change('suspend', :'e_sub') AS ignored \gset

-- Wave 1: lines 2 (A: Anna by name in another case), 3 (B: Bo by id), 4 (C: unassign
-- Cy), 5 (D: a user who does not exist), 6 (E: suspended), 7 (no such subscription), 8
-- (F: 1 license, held by Fay), 9 (G: Gus holds one already), 10 (H: Hal holds none), 11
-- (I: sold directly, not by the partner), 12 (J: the request id of the same command
-- line assignment: replayed, per row). Wave 2: line 13 (A: Ben, sees line 2), line 14
-- (C: Cy again, sees line 4). Wave 3: line 15 (A: B's Bo is no user of A).
SELECT format(E'action,subscription_id,target_offer,quantity,request_id,user\n'
              'assign_license,%1$s,,,,ANNA@a.partner.onmschina.cn\n'
              'assign_license,%2$s,,,,%12$s\n'
              'unassign_license,%3$s,,,,cy@c.partner.onmschina.cn\n'
              'assign_license,%4$s,,,,nobody@d.partner.onmschina.cn\n'
              'assign_license,%5$s,,,,eve@e.partner.onmschina.cn\n'
              'assign_license,%6$s,,,,eve@e.partner.onmschina.cn\n'
              'assign_license,%7$s,,,,fred@f.partner.onmschina.cn\n'
              'assign_license,%8$s,,,,gus@g.partner.onmschina.cn\n'
              'unassign_license,%9$s,,,,hal@h.partner.onmschina.cn\n'
              'unassign_license,%10$s,,,,ida@i.partner.onmschina.cn\n'
              'assign_license,%11$s,,,cli-%13$s,%14$s\n'
              'assign_license,%1$s,,,,%15$s\n'
              'assign_license,%3$s,,,,cy@c.partner.onmschina.cn\n'
              'assign_license,%1$s,,,,bo@b.partner.onmschina.cn\n',
              :'a_sub', :'b_sub', :'c_sub', :'d_sub', :'e_sub', gen_random_uuid(), :'f_sub', :'g_sub', :'h_sub', :'i_sub',
              :'j_sub', :'bo', :'partner', :'jo', :'ben') AS file \gset
SELECT max(id) AS events_before FROM core.audit_events \gset
SELECT count(*) AS request_ids_before FROM core.request_ids \gset

-- ------------------------------------------------------------ the per-row path, for comparison (rolled back)
SAVEPOINT per_row;
SELECT test.register_batch(:'file') AS per_row \gset
SELECT test.apply_rows_one_by_one(:'partner', :'per_row'::jsonb ->> 'batch_id') AS ignored \gset
SELECT pg_temp.events_since(:events_before) AS per_row_events \gset
SELECT jsonb_agg(jsonb_build_array(line, status, error_codes, errors) ORDER BY line) AS per_row_outcomes
FROM core.batch_rows WHERE batch_id = :'per_row'::jsonb ->> 'batch_id' \gset
SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id) AS per_row_results
FROM core.request_ids r WHERE r.partner_id = :'partner' \gset
SELECT jsonb_agg(jsonb_build_array(subscription_id, user_id) ORDER BY subscription_id, user_id) AS per_row_assignments
FROM core.license_assignments WHERE customer_id IN (:'customer_a', :'customer_b', :'customer_c', :'customer_f', :'customer_g') \gset
ROLLBACK TO SAVEPOINT per_row;

-- ------------------------------------------------------------ a dry run leaves nothing
SAVEPOINT dry_run;
SELECT test.register_batch(:'file') AS dry \gset
SELECT max(id) AS events_dry FROM core.audit_events \gset
SELECT api.batch_apply_chunk(:'dry'::jsonb ->> 'batch_id', 2, 15, true) AS ignored \gset
SELECT is(ARRAY[(SELECT count(*) FROM core.audit_events WHERE id > :events_dry),
                (SELECT count(*) FROM core.request_ids) - :request_ids_before,
                (SELECT count(*) FROM core.license_assignments WHERE customer_id = :'customer_a')],
          ARRAY[0::bigint, 0, 0], 'a dry run leaves no audit event, no request id, no assignment');
ROLLBACK TO SAVEPOINT dry_run;

-- ------------------------------------------------------------ the set-based run
DELETE FROM pg_temp.statements;
SELECT test.register_batch(:'file') AS run \gset
SELECT api.batch_apply_chunk(:'run'::jsonb ->> 'batch_id', 2, 15) AS counts \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'run'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'applied', '{}'::text[]), (3, 'applied', '{}'), (4, 'applied', '{}'),
                       (5, 'rejected', '{user_not_found}'), (6, 'rejected', '{subscription_status_not_active}'),
                       (7, 'rejected', '{subscription_not_found}'), (8, 'rejected', '{license_quantity_exceeded}'),
                       (9, 'applied', '{}'), (10, 'applied', '{}'), (11, 'rejected', '{not_reseller_of_record}'),
                       (12, 'already_applied', '{}'), (13, 'applied', '{}'), (14, 'applied', '{}'),
                       (15, 'rejected', '{user_not_found}')$$,
              'a wave mixes applied and rejected assignments; a customer''s next row sees its previous one');
SELECT is((SELECT jsonb_agg(jsonb_build_array(line, status, error_codes, errors) ORDER BY line)
           FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id'),
          :'per_row_outcomes'::jsonb, 'the outcomes and error objects are those of the per-row path');
SELECT is(pg_temp.events_since(:events_before), :'per_row_events'::jsonb,
          'the audit events are those of the per-row path, each with its row''s request id (ids and times aside)');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r.request_id, r.result) ORDER BY r.request_id)
           FROM core.request_ids r WHERE r.partner_id = :'partner'),
          :'per_row_results'::jsonb, 'the stored results are those of the per-row path');
SELECT is((SELECT jsonb_agg(jsonb_build_array(subscription_id, user_id) ORDER BY subscription_id, user_id)
           FROM core.license_assignments WHERE customer_id IN (:'customer_a', :'customer_b', :'customer_c', :'customer_f', :'customer_g')),
          :'per_row_assignments'::jsonb, 'and so are the assignments');
SELECT is((SELECT jsonb_object_agg(r.line, q.result - 'errors' - 'status' - 'subscription_status' - 'quantity' - 'subscription_id')
           FROM core.batch_rows r JOIN core.request_ids q ON q.partner_id = r.partner_id AND q.request_id = r.request_id
           WHERE r.batch_id = :'run'::jsonb ->> 'batch_id' AND r.line IN (4, 9, 10, 13)),
          jsonb_build_object(
              '4', jsonb_build_object('licenses_assigned', 0, 'unassigned', jsonb_build_array(jsonb_build_object('id', :'cy', 'upn', 'cy@c.partner.onmschina.cn')), 'unchanged', 0),
              '9', jsonb_build_object('licenses_assigned', 1, 'assigned', '[]'::jsonb, 'unchanged', 1),
              '10', jsonb_build_object('licenses_assigned', 0, 'unassigned', '[]'::jsonb, 'unchanged', 1),
              '13', jsonb_build_object('licenses_assigned', 2, 'assigned', jsonb_build_array(jsonb_build_object('id', :'ben', 'upn', 'ben@a.partner.onmschina.cn')), 'unchanged', 0)),
          'the stored results: what changed, what was left as it was, the licenses assigned after');
SELECT is(ARRAY(SELECT a.user_id FROM core.license_assignments a WHERE a.subscription_id = :'a_sub' ORDER BY a.user_id),
          ARRAY(SELECT x::uuid FROM unnest(ARRAY[:'anna', :'ben']) x ORDER BY 1), 'A: Anna and Ben hold its licenses');
SELECT is((SELECT array_agg(e.request_id ORDER BY r.line) FROM core.audit_events e
           JOIN core.batch_rows r ON r.batch_id = :'run'::jsonb ->> 'batch_id' AND r.request_id = e.request_id
           WHERE e.id > :events_before AND e.outcome = 'succeeded' AND e.subscription_id IN (:'a_sub', :'b_sub')),
          ARRAY[(:'run'::jsonb ->> 'batch_id') || ':2', (:'run'::jsonb ->> 'batch_id') || ':3', (:'run'::jsonb ->> 'batch_id') || ':13'],
          'each assignment''s event carries its own row''s request id');
SELECT is(ARRAY(SELECT operation || ' ' || rows FROM pg_temp.statements ORDER BY n),
          ARRAY['INSERT 2', 'DELETE 1', 'INSERT 2'],
          'one statement per wave and action: wave 1''s two assignments, its unassignment, wave 2''s two assignments');
SELECT is((SELECT jsonb_agg(jsonb_build_array(r.line, e.operation, e.outcome, e.changes, e.source, e.batch_id = r.batch_id) ORDER BY r.line)
           FROM core.batch_rows r JOIN core.audit_events e ON e.request_id = r.request_id AND e.id > :events_before
           WHERE r.batch_id = :'run'::jsonb ->> 'batch_id' AND r.line IN (9, 10)),
          '[[9, "assign_license", "succeeded", {}, "batch", true], [10, "unassign_license", "succeeded", {}, "batch", true]]',
          'a row applied with nothing to change has one event of its own, with no changed fields');
SELECT is(current_setting('subctl.request_ids', true), '', 'no request id mapping is left behind');

-- ------------------------------------------------------------ the single command: the same path
SELECT is(api.license_change('assign', :'f_sub', ARRAY['fred@f.partner.onmschina.cn', 'nobody@f.partner.onmschina.cn', :'fay'])
              - 'request_id',
          jsonb_build_object('status', 'rejected', 'subscription_id', :'f_sub', 'subscription_status', 'active', 'quantity', 1,
                             'licenses_assigned', 1, 'assigned', '[]'::jsonb, 'unchanged', 1, 'errors', jsonb_build_array(
                                 jsonb_build_object('code', 'user_not_found',
                                     'details', jsonb_build_object('users', jsonb_build_array('nobody@f.partner.onmschina.cn')),
                                     'description', format('Users nobody@f.partner.onmschina.cn do not exist for customer %s.', :'customer_f'),
                                     'next_step', format('see its users: subctl user list --customer %s; add one: subctl user add %s --upn NAME@DOMAIN',
                                                         :'customer_f', :'customer_f')),
                                 jsonb_build_object('code', 'license_quantity_exceeded',
                                     'details', jsonb_build_object('assigned', 1, 'quantity', 1, 'asked', 1, 'missing', 1),
                                     'description', format('Subscription %s has 1 licenses and 1 assigned: 1 more would exceed it.', :'f_sub'),
                                     'next_step', format('add licenses first (subctl licenses add %s 1), or assign fewer users', :'f_sub')))),
          'license assign of several users: all or nothing, every error listed');
SELECT is(api.license_change('unassign', :'a_sub', ARRAY[:'anna', 'BEN@a.partner.onmschina.cn', :'anna', 'bo@b.partner.onmschina.cn'])
              -> 'errors' -> 0 -> 'details',
          jsonb_build_object('users', jsonb_build_array('bo@b.partner.onmschina.cn')),
          'unassign several users: a user named twice counts once, another customer''s user is not found');

SELECT * FROM finish();
ROLLBACK;
