-- Idempotency (SPEC 3): repeating a request id with the same parameters returns the
-- first result, stored, and changes nothing (no subscription, no audit event, no new
-- request id); other parameters are refused with request_id_reused.
BEGIN;
SELECT plan(17);

CREATE TEMP TABLE fx (partner text, customer uuid, business uuid, e1 uuid, first_upgrade jsonb, first_licenses jsonb,
                      first_rejection jsonb, first_cancel jsonb, state jsonb, events bigint, request_ids bigint);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET business = test.new_subscription(customer, 'o365-business'), e1 = test.new_subscription(customer, 'o365-e1');
UPDATE fx SET first_licenses = api.licenses_change('add', business, 5, 'lic-1');
UPDATE fx SET first_upgrade = api.upgrade(business, 'o365-proplus', 20, 'up-1');
UPDATE fx SET first_rejection = api.upgrade(e1, 'o365-e3', p_request_id => 'up-2');
UPDATE fx SET first_cancel = api.subscription_change('cancel', e1, 'cancel-1');
UPDATE fx SET state = test.customer_subscriptions(customer), events = (SELECT count(*) FROM core.audit_events),
              request_ids = (SELECT count(*) FROM core.request_ids WHERE partner_id = partner);

SELECT is(first_upgrade ->> 'status', 'succeeded', 'the first upgrade succeeded') FROM fx;
SELECT is(first_rejection ->> 'status', 'rejected', 'the first upgrade of E1 was rejected (no path)') FROM fx;
SELECT is(api.upgrade(business, 'o365-proplus', 20, 'up-1'), first_upgrade,
          'upgrade replayed: the first result, although the source is no longer active') FROM fx;
SELECT is(api.licenses_change('add', business, 5, 'lic-1'), first_licenses, 'licenses add replayed: the first result') FROM fx;
SELECT is(api.upgrade(e1, 'o365-e3', p_request_id => 'up-2'), first_rejection, 'a rejection replayed: the first rejection') FROM fx;
SELECT is(api.subscription_change('cancel', e1, 'cancel-1'), first_cancel, 'cancel replayed: the first result') FROM fx;
SELECT is(api.upgrade(business, 'o365-proplus', 20, 'up-1', p_dry_run => true),
          first_upgrade || '{"replayed": true}',
          'a dry run of a used request id: the stored result with its status, saying it is a replay') FROM fx;
SELECT is(test.customer_subscriptions(customer), state, 'the replays changed no subscription') FROM fx;
SELECT is((SELECT count(*) FROM core.audit_events), events, 'the replays wrote no audit event') FROM fx;
SELECT is((SELECT count(*) FROM core.request_ids WHERE partner_id = partner), request_ids, 'and stored no request id') FROM fx;
SELECT is((SELECT result FROM core.request_ids WHERE partner_id = partner AND request_id = 'up-1'), first_upgrade - 'request_id',
          'the stored result is the first result (its request id aside: the key it is stored under)') FROM fx;
SELECT is((SELECT count(*) FROM core.subscriptions WHERE upgraded_from_subscription_id = business), 1::bigint,
          'the upgrade was applied once') FROM fx;

-- Other parameters under a used id: refused, the stored result untouched.
SELECT is(test.codes(api.upgrade(business, 'o365-proplus', 21, 'up-1')), '{request_id_reused}', 'another quantity: reused') FROM fx;
SELECT is(test.codes(api.upgrade(business, 'o365-e3', 20, 'up-1')), '{request_id_reused}', 'another target: reused') FROM fx;
SELECT is(test.codes(api.subscription_change('suspend', e1, 'cancel-1')), '{request_id_reused}', 'another operation: reused') FROM fx;
SELECT is((SELECT result FROM core.request_ids WHERE partner_id = partner AND request_id = 'up-1'), first_upgrade - 'request_id',
          'the stored result is unchanged') FROM fx;
SELECT is(test.customer_subscriptions(customer), state, 'the refusals changed no subscription') FROM fx;

SELECT * FROM finish();
ROLLBACK;
