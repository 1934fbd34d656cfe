-- Constraints of core.request_ids, the idempotency keys: one per (partner, request id),
-- of 1 to 200 characters.
BEGIN;
SELECT plan(3);

SELECT test.act_as_new_partner() AS partner \gset
INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
VALUES (:'partner', 'batch-7-row-1', 'suspend', '{}', '{}');

SELECT throws_ok($$INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
                   VALUES ('p', '', 'suspend', '{}', '{}')$$,
                 '23514', 'new row for relation "request_ids" violates check constraint "check_request_ids_request_id_length"',
                 'an empty request id violates check_request_ids_request_id_length');
SELECT throws_ok(format($$INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
                          VALUES ('p', %L, 'suspend', '{}', '{}')$$, repeat('r', 201)),
                 '23514', 'new row for relation "request_ids" violates check constraint "check_request_ids_request_id_length"',
                 'a request id of 201 characters violates check_request_ids_request_id_length');
SELECT throws_ok(format($$INSERT INTO core.request_ids (partner_id, request_id, operation, parameters, result)
                          VALUES (%L, 'batch-7-row-1', 'cancel', '{}', '{}')$$, :'partner'),
                 '23505', 'duplicate key value violates unique constraint "request_ids_pkey"',
                 'a request id is used once per partner');

SELECT * FROM finish();
ROLLBACK;
