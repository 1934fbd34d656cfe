-- report.subscription_history reads the events alone: each subscription event records
-- the subscription's offer as it was (migration 005), a rejection the offer of the
-- subscription it names when the partner may see it, and nothing of one it may not.
BEGIN;
SELECT plan(8);

CREATE TEMP TABLE fx (partner text, customer uuid, src uuid, target uuid, hidden uuid, first_event bigint);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET src = test.new_subscription(customer, 'o365-business', 10);
-- another partner's customer and subscription, invisible to fx.partner
SELECT test.act_as_new_partner('other');
UPDATE fx SET hidden = test.new_subscription(test.new_customer(), 'o365-business', 10);
SELECT test.act_as(partner) FROM fx;
UPDATE fx SET first_event = (SELECT max(id) FROM core.audit_events);

SELECT is(api.licenses_change('add', src, 2) ->> 'status', 'succeeded', 'licenses added') FROM fx;
UPDATE fx SET target = (api.upgrade(src, 'o365-e3') ->> 'target_subscription_id')::uuid;
SELECT is(api.licenses_change('add', target, 10000000) ->> 'status', 'rejected', 'too many licenses: a rejection') FROM fx;
SELECT is(api.licenses_change('add', hidden, 1) ->> 'status', 'rejected', 'another partner''s subscription: a rejection') FROM fx;
SELECT is(api.subscription_add(customer, 'o365-e3', 100000000) ->> 'status', 'rejected',
          'a new subscription refused (quantity): a rejection') FROM fx;

SELECT is((SELECT array_agg(ARRAY[h.operation, h.outcome, h.offer_id] ORDER BY h.event_id)
           FROM report.subscription_history h WHERE h.event_id > first_event AND h.subscription_id IN (src, target)),
          ARRAY[ARRAY['add_licenses', 'succeeded', 'o365-business'], ARRAY['upgrade', 'succeeded', 'o365-e3'],
                ARRAY['upgrade', 'succeeded', 'o365-business'], ARRAY['add_licenses', 'rejected', 'o365-e3']],
          'each event shows the offer of its subscription: the source''s, the target''s from its creation on') FROM fx;
SELECT is((SELECT ARRAY[offer_id, customer_id::text] FROM core.audit_events WHERE id > first_event AND subscription_id = hidden),
          ARRAY[NULL, NULL], 'a rejection on a hidden subscription records neither its customer nor its offer') FROM fx;
SELECT is((SELECT count(*) FROM core.audit_events WHERE entity = 'subscriptions' AND customer_id IS NOT NULL AND offer_id IS NULL
                                                   AND (subscription_id IS NOT NULL OR changes -> 'requested' ->> 'offer_id'
                                                                                       IN (SELECT id FROM core.offers))),
          0::bigint, 'no subscription event with a customer lacks its offer (but a new one of an offer that does not exist)');

SELECT is((SELECT offer_id FROM core.audit_events WHERE id > first_event AND operation = 'add_subscription'),
          'o365-e3', 'a refused new subscription records the offer asked for (there is no subscription yet)') FROM fx;

SELECT * FROM finish();

ROLLBACK;
