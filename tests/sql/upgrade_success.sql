-- A successful upgrade (SPEC 3): a new active csp target of the same partner, customer
-- and billing cycle, by default with the source's quantity; the source suspended with
-- reason upgraded; both linked; versions moved; audit events with {field: [old, new]}.
BEGIN;
SELECT plan(18);

CREATE TEMP TABLE fx (partner text, customer uuid, src uuid, result jsonb, target uuid, source_version bigint,
                      first_event bigint, other uuid);
INSERT INTO fx (partner) SELECT test.act_as_new_partner();
UPDATE fx SET customer = test.new_customer();
UPDATE fx SET src = test.new_subscription(customer, 'o365-business', 17, p_billing_cycle => 'annual');
UPDATE fx SET source_version = (SELECT version FROM core.subscriptions WHERE id = src),
              first_event = (SELECT max(id) FROM core.audit_events);
UPDATE fx SET result = api.upgrade(src, 'o365-e3', p_request_id => 'up-ok');
UPDATE fx SET target = (result ->> 'target_subscription_id')::uuid;

SELECT is(result - 'target_subscription_id',
          jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb, 'source_subscription_id', src,
                             'target_offer', 'o365-e3', 'quantity', 17, 'request_id', 'up-ok',
                             'upgrade_type', 'upgrade_with_license_transfer', 'licenses_transferred', 0,
                             'next_steps', jsonb_build_array('assign the users of o365-business their licenses of o365-e3 in the Office 365 admin center operated by 21Vianet')),
          'the result, with what is left to do') FROM fx;
SELECT isnt(target, NULL, 'the result names the target') FROM fx;
SELECT is((SELECT ARRAY[offer_id, status, channel, partner_id, recorded_by_partner_id, billing_cycle, quantity::text,
                        customer_id::text, upgraded_from_subscription_id::text]
           FROM core.subscriptions WHERE id = target),
          ARRAY['o365-e3', 'active', 'csp', partner, partner, 'annual', '17', customer::text, src::text],
          'the target: E3, active, csp, the partner''s, annual like the source, 17 licenses, linked to the source') FROM fx;
SELECT is((SELECT ARRAY[status, status_reason, upgraded_to_subscription_id::text, quantity::text, offer_id]
           FROM core.subscriptions WHERE id = src),
          ARRAY['suspended', 'upgraded', target::text, '17', 'o365-business'],
          'the source: suspended, reason upgraded, linked to the target, otherwise unchanged') FROM fx;
SELECT is((SELECT version FROM core.subscriptions WHERE id = src), source_version + 1, 'the source''s version moved on') FROM fx;
SELECT is((SELECT version FROM core.subscriptions WHERE id = target), 1::bigint, 'the target starts at version 1') FROM fx;
SELECT is((SELECT count(*) FROM core.subscriptions WHERE customer_id = customer), 2::bigint, 'one subscription created') FROM fx;

-- Audit: the target's creation and the source's change, succeeded, under the request id.
SELECT is((SELECT array_agg(ARRAY[operation, entity_id, outcome, coalesce(request_id, '')]::text ORDER BY id)
           FROM core.audit_events WHERE id > first_event),
          ARRAY[ARRAY['upgrade', target::text, 'succeeded', 'up-ok']::text, ARRAY['upgrade', src::text, 'succeeded', 'up-ok']::text],
          'two audit events: the target inserted, the source updated') FROM fx;
SELECT is((SELECT changes FROM core.audit_events WHERE id > first_event AND entity_id = src::text),
          jsonb_build_object('status', jsonb_build_array('active', 'suspended'),
                             'status_reason', jsonb_build_array(NULL, 'upgraded'),
                             'upgraded_to_subscription_id', jsonb_build_array(NULL, target)),
          'the source''s event: {field: [old, new]} of exactly what changed') FROM fx;
SELECT is((SELECT changes -> 'offer_id' FROM core.audit_events WHERE id > first_event AND entity_id = target::text),
          '[null, "o365-e3"]', 'the target''s event: its fields from null') FROM fx;
SELECT is((SELECT changes -> 'upgraded_from_subscription_id' FROM core.audit_events WHERE id > first_event AND entity_id = target::text),
          jsonb_build_array(NULL, src), 'the target''s event records its source') FROM fx;
SELECT is((SELECT array_agg(subscription_version ORDER BY id) FROM core.audit_events WHERE id > first_event),
          ARRAY[1, source_version + 1]::bigint[], 'each event carries the version it produced') FROM fx;

-- The replaced source no longer counts: the target is what the customer owns now.
SELECT is(test.listed_codes(src, 'o365-e3'), '{subscription_status_not_active,conflicting_service_types,target_offer_already_owned}',
          'the source cannot be upgraded again; E3 is owned and includes what it adds') FROM fx;
-- A quantity given explicitly may be fewer than the source's.
UPDATE fx SET other = test.new_subscription(test.new_customer(), 'o365-business-essentials', 40);
ALTER TABLE fx ADD COLUMN fewer jsonb;
UPDATE fx SET fewer = api.upgrade(other, 'o365-business-premium', 3);
SELECT is(fewer -> 'quantity', '3', 'an explicit, smaller quantity') FROM fx;
SELECT is(fewer -> 'next_steps' -> 1,
          '"o365-business-essentials had 40 licenses and o365-business-premium has 3: choose the 37 users who lose theirs in the Office 365 admin center operated by 21Vianet"',
          'next_steps: with fewer licenses, choosing who loses one') FROM fx;
SELECT is((SELECT quantity FROM core.subscriptions WHERE upgraded_from_subscription_id = other), 3, 'is the target''s') FROM fx;
-- An upgrade under its own request id replays, it does not create a second target.
SELECT is(api.upgrade(src, 'o365-e3', p_request_id => 'up-ok'), result, 'the same request again: the same result') FROM fx;
SELECT is((SELECT count(*) FROM core.subscriptions WHERE customer_id = customer), 2::bigint, 'and no other subscription') FROM fx;

SELECT * FROM finish();
ROLLBACK;
