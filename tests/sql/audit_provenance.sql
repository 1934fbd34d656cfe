-- Audit provenance is set by the code that did the work (SPEC 7.1): a session's
-- settings cannot make an event a batch's, name another batch or request, or record
-- another operator for a mapped login. An event of source batch always belongs to a
-- row of a real batch of the same partner, under that row's request id.
BEGIN;
SELECT plan(11);

SELECT test.act_as_new_partner('prov') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-e1') AS subscription \gset

-- The forgery of the issue: source and batch id set before an API call, for the session
-- and for the transaction alike.
SELECT set_config('subctl.source', 'batch', false), set_config('subctl.batch_id', 'forged', false),
       set_config('subctl.request_ids', format('{"%s": "forged-request"}', :'subscription'), false) \g /dev/null
SELECT api.licenses_change('add', :'subscription', 1, 'prov-1') \g /dev/null
SELECT set_config('subctl.source', 'batch', true), set_config('subctl.batch_id', 'forged', true) \g /dev/null
SELECT api.subscription_change('suspend', :'subscription', 'prov-2') \g /dev/null
-- a rejection
SELECT api.upgrade(gen_random_uuid(), 'o365-e3', p_request_id => 'prov-3') \g /dev/null
SELECT is(ARRAY(SELECT DISTINCT source FROM core.audit_events WHERE request_id IN ('prov-1', 'prov-2', 'prov-3')),
          ARRAY['sql'], 'SET subctl.source = batch does not make an event a batch''s (a psql session is sql)');
SELECT is((SELECT count(*) FROM core.audit_events WHERE request_id IN ('prov-1', 'prov-2', 'prov-3') AND batch_id IS NOT NULL),
          0::bigint, 'SET subctl.batch_id names no batch');
SELECT is((SELECT count(*) FROM core.audit_events WHERE request_id = 'forged-request'), 0::bigint,
          'SET subctl.request_ids puts no other request id on an event');
SELECT is(ARRAY(SELECT request_id FROM core.audit_events WHERE subscription_id = :'subscription' AND id > (
                    SELECT min(id) FROM core.audit_events WHERE request_id = 'prov-1') ORDER BY id),
          ARRAY['prov-2'], 'each event carries the request id of its own call');

SELECT set_config('subctl.source', 'cli', false) \g /dev/null
SELECT api.licenses_change('add', gen_random_uuid(), 1, 'prov-4') \g /dev/null
SELECT is((SELECT source FROM core.audit_events WHERE request_id = 'prov-4'), 'cli',
          'source cli is what the client says it is');

-- Direct SQL outside any operation: source sql, no request or batch, whatever was SET.
SELECT set_config('subctl.request_id', 'forged-direct', false), set_config('subctl.source', 'batch', false) \g /dev/null
SELECT set_config('subctl.operation', '', true) \g /dev/null
UPDATE core.customers SET name = 'Renamed by SQL' WHERE id = :'customer';
SELECT is((SELECT jsonb_build_array(operation, source, request_id, batch_id) FROM core.audit_events
           WHERE entity = 'customers' AND entity_id = :'customer' ORDER BY id DESC LIMIT 1),
          '["sql_update", "sql", null, null]'::jsonb, 'a direct write is audited as sql, with no request or batch');
SELECT set_config('subctl.source', '', false), set_config('subctl.batch_id', '', false),
       set_config('subctl.request_ids', '', false), set_config('subctl.request_id', '', false) \g /dev/null

-- A real batch: its events are source batch, its id, each row's request id.
SELECT test.new_subscription(:'customer', 'o365-business-essentials') AS essentials \gset
SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\n'
                                  'add_licenses,%1$s,,2,\n'
                                  'upgrade,%1$s,o365-e3,,up-1\n'
                                  'upgrade,%2$s,o365-e3,,\n', :'essentials', gen_random_uuid())) AS batch \gset
SELECT api.batch_apply_chunk(:'batch'::jsonb ->> 'batch_id', 2, 4) \g /dev/null
SELECT is((SELECT count(*) FROM core.audit_events WHERE batch_id = :'batch'::jsonb ->> 'batch_id' AND source = 'batch'),
          (SELECT count(*) FROM core.audit_events WHERE batch_id = :'batch'::jsonb ->> 'batch_id'),
          'every event of the batch has source batch');
SELECT ok((SELECT count(*) FROM core.audit_events WHERE batch_id = :'batch'::jsonb ->> 'batch_id') >= 4,
          'the batch''s rows were audited (licenses, an upgrade''s two events, a rejection)');
SELECT is_empty($$SELECT e.id FROM core.audit_events e WHERE e.source = 'batch'
                  AND NOT EXISTS (SELECT 1 FROM core.batch_rows b WHERE b.partner_id = e.partner_id
                                  AND b.batch_id = e.batch_id AND b.request_id = e.request_id)$$,
                'every event of source batch belongs to a batch row of its partner, under the row''s request id');

-- A mapped login is recorded as itself, whatever operator name it sets.
SELECT test.act_as('');
SELECT test.new_login('tap_prov_operator', 'subctl_operator', :'partner');
SET SESSION AUTHORIZATION tap_prov_operator;
SELECT set_config('subctl.operator', 'someone-else', false), set_config('subctl.source', 'batch', false),
       set_config('subctl.batch_id', :'batch'::jsonb ->> 'batch_id', false) \g /dev/null
SELECT api.licenses_change('add', :'subscription', 1, 'prov-5') \g /dev/null
RESET SESSION AUTHORIZATION;
SELECT is((SELECT jsonb_build_array(operator, login_role, source, batch_id) FROM core.audit_events WHERE request_id = 'prov-5'),
          '["tap_prov_operator", "tap_prov_operator", "sql", null]'::jsonb,
          'a mapped login: its own name, and no batch even when naming a real one');
SELECT ok(NOT EXISTS (SELECT 1 FROM core.audit_events WHERE request_id = 'prov-5' AND source = 'batch'),
          'a login cannot attach an event to a real batch of its partner either');

SELECT * FROM finish();
ROLLBACK;
