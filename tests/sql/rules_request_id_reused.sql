-- request_id_reused: a request id already used by the partner with other parameters or
-- another operation is refused, audited, and changes nothing. Request ids belong to a
-- partner: another partner may use the same one.
BEGIN;
SELECT plan(15);

CREATE TEMP TABLE fx (partner text, customer uuid, business uuid, rival text, rival_customer uuid, rival_business uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET business = test.new_subscription(customer, 'o365-business');
SELECT api.licenses_change('add', business, 2, 'req-1') FROM fx;

SELECT test.is_rejected(format('api.licenses_change(%L, %L, 3, %L)', 'add', business, 'req-1'), customer,
                        '{request_id_reused}', 'same id, another quantity') FROM fx;
SELECT test.is_rejected(format('api.licenses_change(%L, %L, 2, %L)', 'remove', business, 'req-1'), customer,
                        '{request_id_reused}', 'same id, another operation') FROM fx;
SELECT test.is_rejected(format('api.upgrade(%L, %L, p_request_id => %L)', business, 'o365-e3', 'req-1'), customer,
                        '{request_id_reused}', 'same id, an upgrade') FROM fx;
SELECT is(api.upgrade(business, 'o365-e3', p_request_id => 'req-1') - 'errors',
          jsonb_build_object('status', 'rejected', 'source_subscription_id', business, 'target_subscription_id', NULL,
                             'quantity', NULL, 'request_id', 'req-1'),
          'the refusal has the shape of an upgrade result, naming its request id') FROM fx;
SELECT is((SELECT subscription_id FROM core.audit_events WHERE partner_id = partner AND 'request_id_reused' = ANY (error_codes)
           ORDER BY id DESC LIMIT 1), business, 'the refusal is audited against the subscription') FROM fx;
-- Another partner's use of the same id is independent.
UPDATE fx SET rival = test.act_as_new_partner('rival');
UPDATE fx SET rival_customer = test.new_customer();
UPDATE fx SET rival_business = test.new_subscription(rival_customer, 'o365-business');
SELECT is(api.licenses_change('add', rival_business, 5, 'req-1') ->> 'status', 'succeeded',
          'another partner may use the same request id') FROM fx;

SELECT * FROM finish();
ROLLBACK;
