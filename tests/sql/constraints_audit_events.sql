-- The audit trail: events cannot be updated, deleted or truncated by anyone; their
-- CHECKs; and every change of a subscription, whoever writes it, leaves exactly one
-- event with its changed fields as {field: [old, new]}.
BEGIN;
SELECT plan(21);

CREATE TEMP TABLE fx (partner text, customer uuid, customer_name text, subscription uuid, event bigint);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET subscription = test.new_subscription(customer, 'o365-e1');
UPDATE fx SET event = (SELECT max(id) FROM core.audit_events);
-- The fixtures ran API operations, which name the operation for the rest of the
-- transaction; what follows are plain psql writes.
SELECT set_config('subctl.operation', '', true);

-- ------------------------------------------------------------ append-only
SELECT throws_ok($$UPDATE core.audit_events SET comment = 'rewritten' WHERE id = (SELECT event FROM fx)$$,
                 'SU070', 'audit_events_append_only: audit events cannot be changed (UPDATE)',
                 'an audit event cannot be updated');
SELECT throws_ok($$DELETE FROM core.audit_events WHERE id = (SELECT event FROM fx)$$,
                 'SU070', 'audit_events_append_only: audit events cannot be changed (DELETE)',
                 'an audit event cannot be deleted');
SELECT throws_ok($$TRUNCATE core.audit_events$$,
                 'SU070', 'audit_events_append_only: audit events cannot be changed (TRUNCATE)',
                 'the audit events cannot be truncated');

-- ------------------------------------------------------------ checks
SELECT throws_ok($$INSERT INTO core.audit_events (operation, operator, source, entity, outcome)
                   VALUES ('suspend', 'alice', 'web', 'subscriptions', 'succeeded')$$,
                 '23514', 'new row for relation "audit_events" violates check constraint "check_audit_events_source"',
                 'source web violates check_audit_events_source');
SELECT throws_ok($$INSERT INTO core.audit_events (operation, operator, source, entity, outcome)
                   VALUES ('suspend', 'alice', 'sql', 'subscriptions', 'failed')$$,
                 '23514', 'new row for relation "audit_events" violates check constraint "check_audit_events_outcome"',
                 'outcome failed violates check_audit_events_outcome');
SELECT throws_ok($$INSERT INTO core.audit_events (operation, operator, source, entity, outcome)
                   VALUES ('suspend', 'alice', 'sql', 'subscriptions', 'rejected')$$,
                 '23514', 'new row for relation "audit_events" violates check constraint "check_audit_events_rejection_has_codes"',
                 'a rejection without error codes violates check_audit_events_rejection_has_codes');
SELECT throws_ok($$INSERT INTO core.audit_events (operation, operator, source, entity, outcome, error_codes)
                   VALUES ('suspend', 'alice', 'sql', 'subscriptions', 'succeeded', '{invalid_status_transition}')$$,
                 '23514', 'new row for relation "audit_events" violates check constraint "check_audit_events_rejection_has_codes"',
                 'a success with error codes violates check_audit_events_rejection_has_codes');

-- ------------------------------------------------------------ one event per change
CREATE TEMP VIEW subscription_events AS
SELECT e.* FROM core.audit_events e JOIN fx ON e.subscription_id = fx.subscription WHERE e.id > fx.event;
CREATE TEMP VIEW last_subscription_event AS SELECT * FROM subscription_events ORDER BY id DESC LIMIT 1;

UPDATE core.subscriptions SET quantity = 12 WHERE id = (SELECT subscription FROM fx);
SELECT is((SELECT count(*)::int FROM subscription_events), 1, 'a psql update of a subscription writes one audit event');
SELECT is((SELECT changes FROM last_subscription_event), '{"quantity": [10, 12]}'::jsonb,
          'the event holds the changed field as {field: [old, new]}');
SELECT is((SELECT operation || '/' || source || '/' || outcome FROM last_subscription_event), 'sql_update/sql/succeeded',
          'a psql update is audited as sql_update from source sql');
SELECT is((SELECT subscription_version FROM last_subscription_event),
          (SELECT version FROM core.subscriptions WHERE id = (SELECT subscription FROM fx)),
          'the event records the version the change produced');

UPDATE fx SET event = (SELECT max(id) FROM core.audit_events);
UPDATE core.subscriptions SET quantity = 14, status = 'suspended', status_reason = 'operator'
WHERE id = (SELECT subscription FROM fx);
SELECT is((SELECT count(*)::int FROM subscription_events), 1, 'an update of three fields writes one audit event');
SELECT is((SELECT changes FROM last_subscription_event),
          '{"quantity": [12, 14], "status": ["active", "suspended"], "status_reason": [null, "operator"]}'::jsonb,
          'the event holds every changed field and only those');

UPDATE fx SET event = (SELECT max(id) FROM core.audit_events);
UPDATE core.subscriptions SET quantity = quantity WHERE id = (SELECT subscription FROM fx);
SELECT is((SELECT count(*)::int FROM subscription_events), 0, 'a no-op update writes no audit event');

SELECT test.new_subscription(customer, 'o365-proplus') IS NOT NULL AS second_subscription FROM fx \gset
UPDATE fx SET event = (SELECT max(id) FROM core.audit_events);
UPDATE core.subscriptions SET quantity = quantity + 1 WHERE customer_id = (SELECT customer FROM fx);
SELECT set_eq(format($$SELECT subscription_id, count(*) FROM core.audit_events WHERE id > %s GROUP BY 1$$, (SELECT event FROM fx)),
              $$SELECT id, 1::bigint FROM core.subscriptions WHERE customer_id = (SELECT customer FROM fx)$$,
              'one statement changing several subscriptions writes one audit event for each');
SELECT set_config('subctl.operation', '', true);

INSERT INTO core.subscriptions (id, customer_id, offer_id, quantity, billing_cycle, channel)
SELECT gen_random_uuid(), customer, 'o365-proplus', 7, 'annual', 'direct' FROM fx
RETURNING id AS inserted \gset
SELECT is((SELECT count(*)::int FROM core.audit_events WHERE subscription_id = :'inserted'), 1,
          'a psql insert of a subscription writes one audit event');
SELECT is((SELECT changes -> 'quantity' FROM core.audit_events WHERE subscription_id = :'inserted'), '[null, 7]'::jsonb,
          'an insert records each field as [null, new]');
SELECT is((SELECT operation FROM core.audit_events WHERE subscription_id = :'inserted'), 'sql_insert',
          'a psql insert is audited as sql_insert');
DELETE FROM core.subscriptions WHERE id = :'inserted';
SELECT is((SELECT count(*)::int FROM core.audit_events WHERE subscription_id = :'inserted' AND operation = 'sql_delete'), 1,
          'a psql delete of a subscription writes one audit event');
SELECT is((SELECT changes -> 'offer_id' FROM core.audit_events WHERE subscription_id = :'inserted' AND operation = 'sql_delete'),
          '["o365-proplus", null]'::jsonb, 'a delete records each field as [old, null]');

-- Partners, customers and relationships are audited the same way.
UPDATE fx SET event = (SELECT max(id) FROM core.audit_events),
              customer_name = (SELECT name FROM core.customers WHERE id = fx.customer);
INSERT INTO core.partners (id, name) VALUES ('test-audited-partner', 'Audited');
UPDATE core.partners SET name = 'Audited, renamed' WHERE id = 'test-audited-partner';
DELETE FROM core.partners WHERE id = 'test-audited-partner';
UPDATE core.customers SET name = 'Renamed in psql' WHERE id = (SELECT customer FROM fx);
UPDATE core.relationships SET expires_at = expires_at - interval '1 day' WHERE customer_id = (SELECT customer FROM fx);
SELECT bag_eq(format($$SELECT entity, operation, changes FROM core.audit_events WHERE id > %s$$, (SELECT event FROM fx)),
              $$VALUES ('partners', 'sql_insert', '{"id": [null, "test-audited-partner"], "name": [null, "Audited"]}'::jsonb),
                       ('partners', 'sql_update', '{"name": ["Audited", "Audited, renamed"]}'),
                       ('partners', 'sql_delete', '{"id": ["test-audited-partner", null], "name": ["Audited, renamed", null]}'),
                       ('customers', 'sql_update', (SELECT jsonb_build_object('name', jsonb_build_array(customer_name, 'Renamed in psql'))
                                                    FROM fx)),
                       ('relationships', 'sql_update', (SELECT jsonb_build_object('expires_at', jsonb_build_array(
                                                            to_jsonb(expires_at + interval '1 day'), to_jsonb(expires_at)))
                                                        FROM core.relationships r JOIN fx ON r.customer_id = fx.customer))$$,
              'psql writes to partners, customers and relationships leave one audit event each');

SELECT * FROM finish();
ROLLBACK;
