-- A batch row's outcome carries the error objects {code, description, details,
-- next_step} that the single command returns, whichever path applied it (an upgrade of a
-- wave, a row through run_operation, a row that raised); a row recorded before
-- core.batch_rows.errors existed (errors NULL) is shown from its codes.
BEGIN;
SELECT plan(9);

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b \gset
SELECT test.new_subscription(:'customer_a', 'o365-business') AS a_business,
       test.new_subscription(:'customer_b', 'o365-e3') AS b_e3 \gset

-- What the single commands answer, asked before the batch (a dry run changes nothing).
SELECT api.upgrade(:'a_business', 'o365-business-premium', 400, p_dry_run => true) -> 'errors' AS single_upgrade,
       api.licenses_change('remove', :'b_e3', 10, p_dry_run => true) -> 'errors' AS single_remove \gset

SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\n'
                                  'upgrade,%1$s,o365-business-premium,400,\n'
                                  'remove_licenses,%2$s,,10,\n'
                                  'suspend,%2$s,,,\n', :'a_business', :'b_e3')) ->> 'batch_id' AS batch \gset
SELECT api.batch_apply_chunk(:'batch', 2, 4) AS ignored \gset
CREATE TEMP TABLE listed AS
    SELECT (r ->> 'line')::bigint AS line, r -> 'errors' AS errors FROM jsonb_array_elements(api.batch_rows(:'batch')) r;

SELECT is((SELECT errors FROM listed WHERE line = 2), :'single_upgrade'::jsonb,
          'an upgrade of a wave: the errors the single upgrade returns');
SELECT ok((SELECT errors -> 0 ->> 'description' FROM listed WHERE line = 2) LIKE '400 licenses%'
          AND (SELECT errors -> 0 ->> 'next_step' FROM listed WHERE line = 2) IS NOT NULL
          AND (SELECT errors -> 0 -> 'details' ->> 'max' FROM listed WHERE line = 2) = '300',
          'with its description, details and next step');
SELECT is((SELECT errors FROM listed WHERE line = 3), :'single_remove'::jsonb,
          'a row through run_operation: the errors licenses remove returns');
SELECT is((SELECT errors FROM listed WHERE line = 4), '[]'::jsonb, 'an applied row: no errors');
SELECT is((SELECT errors FROM core.batch_rows WHERE batch_id = :'batch' AND line = 3), :'single_remove'::jsonb,
          'the objects are stored with the row''s outcome');

-- A row that raised (a broken invariant) is rejected with the code of its SQLSTATE.
SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\nsuspend,%s,,,\n',
                                  :'a_business'), 'raised') AS ignored \gset
SELECT logic.batch_reject_row(r, '23514', true) FROM core.batch_rows r WHERE r.batch_id = 'raised';
SELECT is((SELECT errors FROM core.batch_rows WHERE batch_id = 'raised'),
          jsonb_build_array(jsonb_build_object('code', 'sqlstate_23514', 'details', jsonb_build_object('sqlstate', '23514'),
                                               'description', 'The row broke a rule of the database (SQLSTATE 23514).',
                                               'next_step', NULL)),
          'a row that raised: its code and a description naming the SQLSTATE');

-- Rows recorded before the column: their codes, each with its code's description.
UPDATE core.batch_rows SET errors = NULL WHERE batch_id IN (:'batch', 'raised');
SELECT is(api.batch_rows(:'batch') -> 1 -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'quantity_out_of_range', 'details', '{}'::jsonb, 'next_step', NULL,
              'description', (SELECT description FROM core.error_codes WHERE code = 'quantity_out_of_range'))),
          'a row recorded before: its code with the code''s description');
SELECT is(api.batch_rows('raised') -> 0 -> 'errors' -> 0 ->> 'description',
          'The row broke a rule of the database (SQLSTATE 23514).', 'a raised row recorded before: its SQLSTATE named');
SELECT is(api.batch_rows(:'batch') -> 2 -> 'errors', '[]'::jsonb, 'an applied row recorded before: no errors');

SELECT * FROM finish();
ROLLBACK;
