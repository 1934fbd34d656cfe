-- The tamper-evident audit trail (SPEC 7.1): each event is chained to the previous event
-- of its customer (else its partner, else the platform). A superuser who edits the
-- trail with every trigger off is caught: a changed field, an event removed from the
-- middle, the newest removed (against a kept checkpoint), a fake one inserted, a chain
-- rewritten whole (checkpoint), and a subscription changed without an audit event.
BEGIN;
SELECT plan(22);

SELECT test.act_as_new_partner('chain') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business') AS subscription \gset
SELECT api.licenses_change('add', :'subscription', 2) \g /dev/null
SELECT api.licenses_change('add', :'subscription', 3) \g /dev/null
SELECT api.upgrade(:'subscription', 'o365-e3') \g /dev/null
-- a partner-chain event (no customer)
SELECT api.upgrade(gen_random_uuid(), 'o365-e3') \g /dev/null

CREATE TEMP TABLE chain_events AS
SELECT id, row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS total
FROM core.audit_events WHERE customer_id = :'customer';
SELECT id AS middle FROM chain_events WHERE n = 3 \gset
SELECT id AS newest FROM chain_events WHERE n = total \gset
SELECT min(id) AS before_middle FROM chain_events WHERE n = 4 \gset

-- One chain's verdict: status, first broken event, problem.
CREATE FUNCTION pg_temp.verdict(p_customer uuid, p_checkpoint jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
    SELECT c - 'events' - 'head_event_id' - 'head_hash' - 'chain'
    FROM jsonb_array_elements(api.audit_verify(p_customer, p_checkpoint)) c
    WHERE c ->> 'chain' = 'customer:' || p_customer
$$;

SELECT ok((SELECT count(*) >= 6 FROM chain_events), 'the customer''s chain holds its events');
SELECT is(pg_temp.verdict(:'customer') ->> 'status', 'ok', 'an untouched chain verifies');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.audit_verify()) c WHERE c ->> 'status' <> 'ok'), 0::bigint,
          'every chain the partner may check verifies (its customers'' and its own)');
SELECT ok(EXISTS (SELECT 1 FROM jsonb_array_elements(api.audit_verify()) c WHERE c ->> 'chain' = 'partner:' || :'partner'),
          'events with no customer are chained per partner');
SELECT api.audit_verify(:'customer') AS checkpoint \gset
SELECT is((SELECT c ->> 'head_event_id' FROM jsonb_array_elements(:'checkpoint'::jsonb) c)::bigint, :newest::bigint,
          'the head of a chain is its newest event');
SELECT is((SELECT c ->> 'head_hash' FROM jsonb_array_elements(:'checkpoint'::jsonb) c),
          (SELECT encode(chain_hash, 'hex') FROM core.audit_events WHERE id = :newest),
          'with its hash: the checkpoint to keep elsewhere');

SET session_replication_role = replica;  -- a superuser with every trigger off

SAVEPOINT tamper;
UPDATE core.audit_events SET changes = changes || '{"quantity": [10, 1000]}' WHERE id = :middle;
SELECT is(pg_temp.verdict(:'customer'), jsonb_build_object('status', 'broken', 'first_broken_event_id', :middle,
          'problem', format('event %s does not follow the chain: it or the event before it was changed', :middle)),
          'a changed field is caught at that event');
ROLLBACK TO tamper;

UPDATE core.audit_events SET operator = 'someone else', chain_hash = chain_hash WHERE id = :middle;
SELECT is(pg_temp.verdict(:'customer') ->> 'first_broken_event_id', :'middle', 'a changed operator is caught too');
ROLLBACK TO tamper;

DELETE FROM core.audit_events WHERE id = :middle;
SELECT is(pg_temp.verdict(:'customer'), jsonb_build_object('status', 'broken', 'first_broken_event_id', :before_middle,
          'problem', format('event %s follows event %s, which is gone: events were removed', :before_middle, :middle)),
          'an event removed from the middle is caught at the event after it');
ROLLBACK TO tamper;

DELETE FROM core.audit_events WHERE id = :newest;
SELECT is(pg_temp.verdict(:'customer') ->> 'status', 'ok',
          'the newest event removed: the chain alone cannot tell (that is what the checkpoint is for)');
SELECT is(pg_temp.verdict(:'customer', :'checkpoint'),
          jsonb_build_object('status', 'broken', 'first_broken_event_id', :newest,
                             'problem', format('event %s, the head of this chain in the checkpoint, is gone: events were removed', :newest)),
          'the newest event removed is caught against the kept checkpoint');
ROLLBACK TO tamper;

INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, customer_id, changes, outcome, chain_hash)
SELECT 'add_licenses', 'forger', :'partner', 'cli', 'subscriptions', :'customer', '{}', 'succeeded',
       sha256('fake'::bytea);
SELECT is(pg_temp.verdict(:'customer') ->> 'first_broken_event_id',
          (SELECT max(id)::text FROM core.audit_events WHERE customer_id = :'customer'),
          'a fake event inserted is caught');
ROLLBACK TO tamper;

-- A forger who knows the digest inserts an event after the third, hashed right: the
-- fourth already follows the third.
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, customer_id, changes, outcome,
                               chain_previous_id, chain_hash)
SELECT 'add_licenses', 'forger', :'partner', 'cli', 'subscriptions', :'customer', '{}', 'succeeded', :middle, '\x00';
UPDATE core.audit_events e SET chain_hash = core.audit_event_digest(e, :middle, (SELECT chain_hash FROM core.audit_events WHERE id = :middle))
WHERE operator = 'forger';
SELECT is(pg_temp.verdict(:'customer') ->> 'problem',
          format('event %s follows an event another event already follows: it was inserted',
                 (SELECT id FROM core.audit_events WHERE operator = 'forger')),
          'an event inserted in the middle, hashed right, is caught: two events follow one');
ROLLBACK TO tamper;

-- Rewritten whole: an event changed and the chain recomputed from it, with the same
-- digest the trigger uses. Only the kept checkpoint can tell.
SELECT set_config('test.customer', :'customer', true) \g /dev/null
UPDATE core.audit_events SET changes = '{"quantity": [10, 1]}' WHERE id = :middle;
DO $$
DECLARE
    r core.audit_events;
    v_previous bytea;
BEGIN
    FOR r IN SELECT * FROM core.audit_events WHERE customer_id = current_setting('test.customer')::uuid ORDER BY id LOOP
        v_previous := core.audit_event_digest(r, r.chain_previous_id, v_previous);
        UPDATE core.audit_events SET chain_hash = v_previous WHERE id = r.id;
    END LOOP;
END $$;
SELECT is(pg_temp.verdict(:'customer') ->> 'status', 'ok', 'a chain recomputed whole verifies on its own');
SELECT is(pg_temp.verdict(:'customer', :'checkpoint') ->> 'problem',
          format('event %s no longer has the hash of the checkpoint: the chain was rewritten', :newest),
          'a chain recomputed whole is caught against the kept checkpoint');
ROLLBACK TO tamper;

-- A subscription changed with the triggers off: no event, no version bump.
UPDATE core.subscriptions SET quantity = 250 WHERE id = (SELECT upgraded_to_subscription_id FROM core.subscriptions WHERE id = :'subscription');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.audit_verify(:'customer')) c
           WHERE c ->> 'status' = 'broken' AND c ->> 'problem' LIKE '%quantity is 250 but its audit trail says 15%'), 1::bigint,
          'a subscription changed without an audit event is caught, naming the field');
ROLLBACK TO tamper;
SET session_replication_role = DEFAULT;

SELECT is(pg_temp.verdict(:'customer') ->> 'status', 'ok', 'every tampering rolled back: the chain verifies again');
SELECT is((SELECT c - 'events' - 'head_event_id' - 'head_hash' FROM jsonb_array_elements(api.audit_verify(NULL,
               '[{"chain": "customer:00000000-0000-4000-8000-00000000abcd", "head_event_id": 12, "head_hash": "00"}]')) c
           WHERE c ->> 'chain' LIKE 'customer:00000000-%') - 'chain',
          '{"chain": "customer:00000000-0000-4000-8000-00000000abcd", "status": "broken", "first_broken_event_id": 12,
            "problem": "event 12, the head of this chain in the checkpoint, is gone: events were removed"}'::jsonb - 'chain',
          'a kept chain that is gone (or that the partner cannot see) is reported, never skipped');
SELECT throws_ok(format('SELECT api.audit_verify(%L, %L)', :'customer', '{"not": "an array"}'), 'SU041', NULL,
                 'a checkpoint that is not an array of chain heads is refused');

-- Another partner verifies only what it may see.
SELECT test.act_as_new_partner('chain-other');
SELECT throws_ok(format('SELECT api.audit_verify(%L)', :'customer'), 'SU003', NULL,
                 'another partner''s customer: customer_not_found');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.audit_verify()) c
           WHERE c ->> 'chain' IN ('customer:' || :'customer', 'partner:' || :'partner')), 0::bigint,
          'another partner''s chains are not listed');
SELECT test.act_as('');
SELECT ok((SELECT count(*) FROM jsonb_array_elements(api.audit_verify()) c
           WHERE c ->> 'chain' IN ('customer:' || :'customer', 'partner:' || :'partner')) = 2,
          'the schema owner acting for no partner checks every chain');

SELECT * FROM finish();
ROLLBACK;
