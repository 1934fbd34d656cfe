-- CSV batch jobs (sql/70_batches.sql): the whole file validated before anything is
-- applied, every error named by line and column; rows applied in file order through
-- run_operation (rules, idempotency, audit with source batch and the batch id); a run
-- stopped between chunks resumes without applying a row twice; a dry run applies nothing.
-- The file is staged with INSERTs where subctl uses COPY (same table, same rows).
BEGIN;
SELECT plan(31);

CREATE FUNCTION pg_temp.errors(p_result jsonb)
RETURNS TABLE (line bigint, column_name text, value text) LANGUAGE sql AS $$
    SELECT (e ->> 'line')::bigint, e ->> 'column', e ->> 'value' FROM jsonb_array_elements(p_result -> 'errors') e
$$;

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS a_business,
       test.new_subscription(:'customer_b', 'o365-e3') AS b_e3,
       test.new_subscription(:'customer_b', 'o365-proplus') AS b_proplus,
       test.new_subscription(:'customer_b', 'o365-e1', 10, 'csp', 'annual') AS b_e1 \gset

-- ------------------------------------------------------------ validation: all errors, nothing written
SELECT format(E'action,subscription_id,target_offer,quantity,request_id\n'
              'upgrade,not-a-uuid,,,\n'
              'explode,%1$s,,1,\n'
              'add_licenses,%1$s,,-5,\n'
              'add_licenses,%1$s,,99999999999,r-1\n'
              'suspend,%1$s,o365-e3,3,r-1\n'
              '"a,b\n'
              'x,y\n'
              '"upgrade",%1$s,"o365-e3",,"quoted ""id"""\n'
              'remove_licenses,%1$s,,,\n'
              'cancel,%1$s,,,%2$s\n', :'b_e3', repeat('r', 201)) AS bad_file \gset
SELECT test.register_batch(:'bad_file') AS bad \gset
SELECT is(:'bad'::jsonb ->> 'status', 'invalid', 'a malformed file is refused whole');
SELECT is((:'bad'::jsonb ->> 'error_count')::int, 12, 'every error of the file is reported together');
CREATE TEMP TABLE bad_errors AS SELECT * FROM pg_temp.errors(:'bad');
SELECT bag_eq($$SELECT line, column_name FROM bad_errors$$,
              $$VALUES (2::bigint, 'subscription_id'), (2, 'target_offer'), (3, 'action'), (4, 'quantity'),
                       (5, 'quantity'), (6, 'target_offer'), (6, 'quantity'), (6, 'request_id'), (7, NULL),
                       (8, NULL), (10, 'quantity'), (11, 'request_id')$$,
              'each error names its line and column: non-UUID, missing/forbidden fields, bad and overflowing quantities, unknown action, duplicate and too long request ids, bad quoting, column count');
SELECT is((SELECT value FROM bad_errors WHERE line = 4), '-5', 'an error shows the offending value');
SELECT matches((SELECT (e ->> 'message') FROM jsonb_array_elements(:'bad'::jsonb -> 'errors') e
                WHERE (e ->> 'line')::int = 6 AND e ->> 'column' = 'request_id'),
               'line 5', 'a duplicate request id names the line that used it first');
SELECT is_empty(format('SELECT 1 FROM core.batches WHERE partner_id = %L', :'partner'), 'an invalid file registers nothing');
SELECT is_empty(format('SELECT 1 FROM core.request_ids WHERE partner_id = %L', :'partner'), 'an invalid file applies nothing');

SELECT is(test.register_batch(E'action,subscription_id\n') -> 'errors' -> 0 ->> 'line', '1', 'a wrong header is an error of line 1');
SELECT is(test.register_batch('') -> 'errors' -> 0 ->> 'message',
          'the file is empty: the first line must be the header action,subscription_id,target_offer,quantity,request_id, optionally followed by ,user and ,into (in that order)',
          'an empty file is refused');
SELECT is(test.register_batch(format(E'\uFEFFaction,subscription_id,target_offer,quantity,request_id\r\nsuspend,%s,,,\r\n',
                                  gen_random_uuid()), 'crlf-bom') ->> 'status',
          'registered', 'a byte order mark and CRLF line ends are accepted');

-- ------------------------------------------------------------ dry run: evaluated, nothing applied
SELECT format(E'action,subscription_id,target_offer,quantity,request_id\n'
              'upgrade,%1$s,o365-business-premium,,\n'
              'upgrade,%1$s,o365-e3,,\n'
              'add_licenses,%2$s,,5,\n'
              'remove_licenses,%2$s,,3,explicit-%4$s\n'
              'suspend,%3$s,,,\n'
              'reactivate,%3$s,,,\n'
              'cancel,%5$s,,,\n'
              'remove_licenses,%5$s,,1,\n'
              'suspend,00000000-0000-4000-8000-000000000000,,,\n',
              :'a_business', :'b_e3', :'b_proplus', :'partner', :'b_e1') AS good_file \gset
SAVEPOINT dry_run;
SELECT test.register_batch(:'good_file') AS dry \gset
SELECT api.batch_apply_chunk(:'dry'::jsonb ->> 'batch_id', 2, 10, true) AS ignored \gset
SELECT bag_eq(format('SELECT status FROM core.batch_rows WHERE batch_id = %L', :'dry'::jsonb ->> 'batch_id'),
              $$VALUES ('dry_run'), ('dry_run'), ('dry_run'), ('dry_run'), ('dry_run'), ('rejected'), ('dry_run'),
                       ('rejected'), ('rejected')$$,
              'a dry run evaluates every row against the current state (reactivate of a still active subscription is refused)');
SELECT is((SELECT count(*) FROM core.subscriptions WHERE customer_id IN (:'customer_a', :'customer_b')), 4::bigint,
          'a dry run creates no subscription');
SELECT is_empty(format('SELECT 1 FROM core.request_ids WHERE partner_id = %L', :'partner'), 'a dry run remembers no request id');
ROLLBACK TO SAVEPOINT dry_run;

-- ------------------------------------------------------------ a run stopped after its first chunk, then resumed
SELECT test.register_batch(:'good_file') AS first_run \gset
SELECT is(:'first_run'::jsonb ->> 'rows', '9', 'the batch has one row per data line');
SELECT is(:'first_run'::jsonb ->> 'batch_id', encode(sha256(convert_to(:'good_file', 'UTF8')), 'hex'),
          'the batch id is the sha256 of the file');
SELECT api.batch_apply_chunk(:'first_run'::jsonb ->> 'batch_id', 2, 5) AS first_chunk \gset
SELECT is(:'first_chunk'::jsonb ->> 'applied', '3', 'the first chunk applies lines 2, 4 and 5');
-- the process dies here; the operator runs the same file again
SELECT test.register_batch(:'good_file') AS resumed \gset
SELECT is(:'resumed'::jsonb ->> 'first_pending_line', '6', 'the re-run resumes at the first line not done');
SELECT is(:'resumed'::jsonb ->> 'already_applied', '3', 'rows applied by the first run count as already applied');
SELECT api.batch_apply_chunk(:'resumed'::jsonb ->> 'batch_id', 2, 10) AS ignored \gset
SELECT set_eq(format('SELECT line, status, error_codes FROM core.batch_rows WHERE batch_id = %L', :'first_run'::jsonb ->> 'batch_id'),
              $$VALUES (2::bigint, 'already_applied', '{}'::text[]), (3, 'rejected', '{subscription_status_not_active,conflicting_service_types}'),
                       (4, 'already_applied', '{}'), (5, 'already_applied', '{}'), (6, 'applied', '{}'),
                       (7, 'applied', '{}'), (8, 'applied', '{}'), (9, 'rejected', '{subscription_status_not_active,quantity_cannot_be_decreased}'),
                       (10, 'rejected', '{subscription_not_found}')$$,
              'every row has its outcome: line 3 sees line 2''s upgrade, line 7 sees line 6''s suspension, line 9 line 8''s cancellation');
SELECT is((SELECT quantity FROM core.subscriptions WHERE id = :'b_e3'), 12,
          'licenses were added and removed exactly once (10 + 5 - 3)');
SELECT is((SELECT new_subscription_id FROM core.batch_rows WHERE batch_id = :'first_run'::jsonb ->> 'batch_id' AND line = 2),
          (SELECT upgraded_to_subscription_id FROM core.subscriptions WHERE id = :'a_business'),
          'an upgrade row records the new subscription');
SELECT is((SELECT status FROM core.subscriptions WHERE id = :'b_proplus'), 'active', 'suspend then reactivate, in file order');
SELECT is((SELECT status FROM core.subscriptions WHERE id = :'b_e1'), 'cancelled', 'cancel applied');
SELECT is((SELECT request_id FROM core.batch_rows WHERE batch_id = :'first_run'::jsonb ->> 'batch_id' AND line = 5), 'explicit-' || :'partner',
          'a request id given in the file is used');
SELECT is((SELECT request_id FROM core.batch_rows WHERE batch_id = :'first_run'::jsonb ->> 'batch_id' AND line = 4),
          (:'first_run'::jsonb ->> 'batch_id') || ':4', 'the default request id is <batch id>:<line>');
SELECT is((SELECT count(*) FROM core.audit_events WHERE batch_id = :'first_run'::jsonb ->> 'batch_id'
           AND (source <> 'batch' OR partner_id <> :'partner')), 0::bigint,
          'audit events of the batch carry source batch and the acting partner');
SELECT bag_eq(format($$SELECT operation, outcome FROM core.audit_events WHERE batch_id = %L AND entity_id IN (%L, %L, %L, %L)
                       AND (outcome = 'rejected' OR entity_id IN (%L, %L, %L))$$,
                     :'first_run'::jsonb ->> 'batch_id', :'a_business', :'b_e3', :'b_proplus', :'b_e1',
                     :'b_e3', :'b_proplus', :'b_e1'),
              $$VALUES ('upgrade', 'rejected'), ('add_licenses', 'succeeded'), ('remove_licenses', 'succeeded'),
                       ('suspend', 'succeeded'), ('reactivate', 'succeeded'), ('cancel', 'succeeded'),
                       ('remove_licenses', 'rejected')$$,
              'each applied row is audited once, each rejection too, with the batch id');
SELECT test.register_batch(:'good_file') AS third_run \gset
SELECT is(:'third_run'::jsonb ->> 'first_pending_line', NULL, 'a finished batch has nothing left to apply');
SELECT is((api.batch_finish(:'third_run'::jsonb ->> 'batch_id') ->> 'runs')::int, 3, 'the batch counts its runs');
SELECT throws_ok(format('SELECT test.register_batch(%L, %L)', :'good_file' || E'suspend,' || gen_random_uuid() || E',,,\n',
                        :'first_run'::jsonb ->> 'batch_id'),
                 'SU041', NULL, 'a batch name cannot be reused for another file');
SELECT is(jsonb_array_length(api.batch_rows(left(:'first_run'::jsonb ->> 'batch_id', 12), 1, 100, 'rejected')), 3,
          'batch rows can be listed by a unique id prefix and status');

SELECT * FROM finish();
ROLLBACK;
