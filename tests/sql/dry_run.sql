-- Dry run (SPEC 4): the very same code in a subtransaction that is rolled back. It
-- reports status dry_run with the errors that apply (and the would-be result), and
-- leaves nothing behind: no subscription change, no request id, no audit event, also
-- for a rejection and for a reused request id.
BEGIN;
SELECT plan(16);

CREATE TEMP TABLE fx (partner text, customer uuid, business uuid, e3 uuid, state jsonb, events bigint, result jsonb);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET business = test.new_subscription(customer, 'o365-business', p_billing_cycle => 'annual'),
              e3 = test.new_subscription(test.new_customer(), 'o365-e3');
SELECT api.licenses_change('add', business, 1, 'used-id') FROM fx;
UPDATE fx SET state = test.customer_subscriptions(customer), events = (SELECT count(*) FROM core.audit_events);
CREATE FUNCTION pg_temp.untouched(p_what text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT is(test.customer_subscriptions(customer), state, p_what || ': no subscription changed') FROM fx
    UNION ALL
    SELECT is((SELECT count(*) FROM core.audit_events), events, p_what || ': no audit event') FROM fx
    UNION ALL
    SELECT is((SELECT array_agg(request_id) FROM core.request_ids WHERE partner_id = partner), '{used-id}',
              p_what || ': no request id stored') FROM fx
$$;

UPDATE fx SET result = api.upgrade(business, 'o365-e3', 12, 'dry-1', p_dry_run => true);
SELECT is(result ->> 'status', 'dry_run', 'an eligible upgrade: status dry_run') FROM fx;
SELECT is(result -> 'errors', '[]', 'no errors') FROM fx;
SELECT is(ARRAY[result ->> 'source_subscription_id', result ->> 'quantity'], ARRAY[business::text, '12'],
          'the would-be result: source and quantity') FROM fx;
SELECT is(result -> 'target_subscription_id', 'null', 'no made-up target id: null') FROM fx;
SELECT is((SELECT count(*) FROM core.subscriptions WHERE id = (result ->> 'target_subscription_id')::uuid), 0::bigint,
          'the would-be target does not exist') FROM fx;
SELECT pg_temp.untouched('eligible upgrade');

UPDATE fx SET result = api.upgrade(business, 'o365-e1', 400, 'dry-2', p_dry_run => true);
SELECT is(ARRAY[result ->> 'status', test.codes(result)::text], ARRAY['dry_run', '{subscription_target_offer_not_found}'],
          'a refused upgrade: status dry_run and its errors') FROM fx;
SELECT is(test.codes(api.licenses_change('remove', business, 1, p_dry_run => true)), '{quantity_cannot_be_decreased}',
          'a refused license removal: its errors') FROM fx;
SELECT is(test.codes(api.licenses_change('add', business, 2, 'used-id', p_dry_run => true)), '{request_id_reused}',
          'a reused request id: request_id_reused') FROM fx;
SELECT is(api.subscription_change('cancel', business, p_dry_run => true) ->> 'subscription_status', 'cancelled',
          'a cancel: reports the status it would reach') FROM fx;
SELECT pg_temp.untouched('refusals and cancel');
SELECT is(api.upgrade(business, 'o365-e3', 12, 'dry-1') ->> 'status', 'succeeded',
          'the request id of a dry run is still free for the real run') FROM fx;

SELECT * FROM finish();
ROLLBACK;
