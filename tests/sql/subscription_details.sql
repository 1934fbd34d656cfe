-- The Details page (SPEC 7.2): api.subscription_details is section 6's subscription plus
-- offer_name, add_ons, the relationship for the acting partner, this customer and the
-- offer's service, upgrade_now and the upgrade listing itself; api.customer is a
-- customer's page. Nothing of another partner shows.
BEGIN;
SELECT plan(20);

CREATE TEMP TABLE fx (a text, b text, c_active uuid, c_none uuid, c_requested uuid, c_removed uuid, c_expired uuid,
                      c_held uuid, business uuid, essentials uuid, add_on uuid, e3 uuid, b_sub uuid, details jsonb);
INSERT INTO fx (b) SELECT test.act_as_new_partner('dt-b');
UPDATE fx SET c_held = test.new_customer(false);
UPDATE fx SET b_sub = test.new_subscription(test.new_customer(), 'o365-business');
UPDATE fx SET a = test.act_as_new_partner('dt-a');
SELECT test.act_as(''), test.link(c_held, a) FROM fx;
SELECT test.act_as(b), api.relationship_change('request', c_held, 'office365'),
       api.relationship_change('accept', c_held, 'office365') FROM fx;
SELECT test.act_as(a) FROM fx;
UPDATE fx SET c_active = test.new_customer(), c_none = test.new_customer(false), c_requested = test.new_customer(false),
              c_removed = test.new_customer(), c_expired = test.new_customer();
SELECT api.relationship_change('request', c_requested, 'office365'),
       api.relationship_change('remove', c_removed, 'office365') FROM fx;
UPDATE core.relationships SET activated_at = now() - interval '40 days', expires_at = now() - interval '1 day'
WHERE customer_id = (SELECT c_expired FROM fx);
UPDATE fx SET business = test.new_subscription(c_active, 'o365-business', 12),
              essentials = test.new_subscription(c_none, 'o365-business-essentials');
UPDATE fx SET add_on = test.new_subscription(c_none, 'o365-extra-file-storage', 1, p_parent => essentials),
              e3 = test.new_subscription(c_none, 'o365-e3');
UPDATE fx SET details = api.subscription_details(business);

SELECT is(details - 'offer_name' - 'add_ons' - 'relationship' - 'upgrade_now' - 'upgrades',
          api.subscription(business), 'section 6''s fields, as subscription show had them') FROM fx;
SELECT ok(details ?& ARRAY['id', 'customer_id', 'offer_id', 'quantity', 'status', 'channel', 'partner_id', 'billing_cycle',
                           'version', 'upgraded_to'], 'every field SPEC 6 names') FROM fx;
SELECT is(details ->> 'offer_name', 'Office 365 Business', 'offer_name') FROM fx;
SELECT is(details -> 'add_ons', '[]', 'no add-ons') FROM fx;
SELECT is(details -> 'relationship' ->> 'status', 'active', 'relationship: active') FROM fx;
SELECT is((details -> 'relationship' ->> 'expires_at')::timestamptz,
          (SELECT expires_at FROM core.relationships WHERE customer_id = c_active AND status = 'active'),
          'relationship: its expiry') FROM fx;
SELECT is(details -> 'upgrades', api.upgrades(business), 'upgrades: exactly the listing of subctl upgrades') FROM fx;
SELECT is(details -> 'upgrade_now', 'true', 'upgrade_now: a target is eligible') FROM fx;
SELECT is(jsonb_path_query_array(details -> 'upgrades', '$[*].target_offer_name'),
          '["Office 365 Business Premium", "Office 365 Enterprise E3", "Office 365 ProPlus"]',
          'each target with its name') FROM fx;

UPDATE fx SET details = api.subscription_details(essentials);
SELECT is(details -> 'add_ons', jsonb_build_array(add_on), 'add_ons: the add-on in force') FROM fx;
SELECT is(details -> 'upgrade_now', 'false', 'upgrade_now: false when no target is eligible') FROM fx;
SELECT is(details -> 'relationship', '{"status": "none", "expires_at": null}', 'relationship: none') FROM fx;

SELECT is(ARRAY[logic.relationship_state(a, c_requested, 'office365') ->> 'status',
                logic.relationship_state(a, c_removed, 'office365') ->> 'status',
                logic.relationship_state(a, c_expired, 'office365') ->> 'status',
                logic.relationship_state(a, c_held, 'office365') ->> 'status'],
          '{requested,removed,expired,held_by_another_partner}',
          'relationship: requested, removed, expired (active past its expiry), held by another partner') FROM fx;
SELECT is(logic.relationship_state(a, c_held, 'office365') -> 'expires_at', 'null',
          'another partner''s relationship: not even its expiry') FROM fx;
SELECT throws_ok(format('SELECT api.subscription_details(%L)', b_sub), 'SU001', NULL,
                 'another partner''s subscription: subscription_not_found') FROM fx;

-- customer show
UPDATE fx SET details = api.customer(c_none::text);
SELECT is(details - 'created_at' - 'linked_at' - 'name' - 'domain',
          jsonb_build_object('id', c_none, 'how', 'added',
                             'subscriptions', '{"pending": 0, "active": 3, "suspended": 0, "cancelled": 0}'::jsonb,
                             'relationships', '[{"service": "office365", "status": "none", "expires_at": null}]'::jsonb),
          'customer show: id, how, subscriptions by status, the relationship per service') FROM fx;
SELECT is(api.customer(c_held::text) ->> 'how', 'linked', 'a linked customer: how linked') FROM fx;
SELECT is(api.customer(c_held::text) -> 'relationships' -> 0 ->> 'status', 'held_by_another_partner',
          'its relationship held by the other partner') FROM fx;
SELECT ok(strpos(api.customer(c_held::text)::text, b) = 0 AND strpos(api.subscription_details(business)::text, b) = 0,
          'neither names the other partner') FROM fx;
SELECT throws_ok(format('SELECT api.customer(%L)', (SELECT customer_id FROM core.subscriptions WHERE id = b_sub)), 'SU003',
                 NULL, 'another partner''s customer: customer_not_found') FROM fx;

SELECT * FROM finish();
ROLLBACK;
