-- Every error object is {code, description, details, next_step} (SPEC 7.2): per code, the
-- details and the next step it carries; every code a rule can give has a next step and no
-- template is left with a {placeholder}; no detail names another partner.
BEGIN;
SELECT plan(34);

INSERT INTO core.offers (id, service_id, name, min_quantity, max_quantity) VALUES ('test-monthly-only', 'office365', 'Monthly only', 1, 50);
INSERT INTO core.offer_billing_cycles VALUES ('test-monthly-only', 'monthly');
INSERT INTO core.upgrade_paths VALUES ('o365-business', 'test-monthly-only');
CREATE TEMP TABLE fx (a text, b text, b_name text, c uuid, c_multi uuid, c_held uuid, business uuid, annual uuid,
                      direct_e1 uuid, other_proplus uuid, pending uuid, suspended uuid, e3 uuid, e3_add_on uuid,
                      direct_business uuid, held_business uuid, b_e1 uuid, no_relationship uuid, b_only uuid, essentials uuid, essentials_add_on uuid);
INSERT INTO fx (b) SELECT test.act_as_new_partner('eo-b');
UPDATE fx SET b_name = (SELECT name FROM core.partners WHERE id = b), c_held = test.new_customer();
UPDATE fx SET b_e1 = test.new_subscription(c_held, 'o365-e1'),
              b_only = test.new_subscription(test.new_customer(), 'o365-e3');
UPDATE fx SET a = test.act_as_new_partner('eo-a');
SELECT test.act_as(''), test.link(c_held, a) FROM fx;
SELECT test.act_as(a) FROM fx;
UPDATE fx SET c = test.new_customer(), c_multi = test.new_customer();
UPDATE fx SET business = test.new_subscription(c, 'o365-business', 10),
              annual = test.new_subscription(test.new_customer(), 'o365-business', 10, p_billing_cycle => 'annual'),
              pending = test.new_subscription(test.new_customer(), 'o365-business', p_status => 'pending'),
              suspended = test.new_subscription(test.new_customer(), 'o365-business'),
              e3 = test.new_subscription(test.new_customer(), 'o365-e3'),
              direct_business = test.new_subscription(test.new_customer(), 'o365-business', p_channel => 'direct'),
              held_business = test.new_subscription(c_held, 'o365-business'),
              no_relationship = test.new_subscription(test.new_customer(false), 'o365-business'),
              direct_e1 = test.new_subscription(c_multi, 'o365-e1', p_channel => 'direct');
UPDATE fx SET other_proplus = test.new_subscription(c_multi, 'o365-proplus', p_channel => 'other-reseller'),
              essentials = test.new_subscription(test.new_customer(), 'o365-business-essentials'),
              e3_add_on = test.new_subscription((SELECT customer_id FROM core.subscriptions WHERE id = e3),
                                                'o365-extra-file-storage', 1, p_parent => e3);
UPDATE fx SET essentials_add_on = test.new_subscription((SELECT customer_id FROM core.subscriptions WHERE id = essentials),
                                                        'o365-extra-file-storage', 1, p_parent => essentials);
SELECT api.subscription_change('suspend', suspended) FROM fx;
CREATE TEMP TABLE multi AS SELECT test.new_subscription(c_multi, 'o365-business') AS business FROM fx;

-- The error object of p_code in a result (an operation's, or one target's of a listing).
CREATE FUNCTION pg_temp.err(p_result jsonb, p_code text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT e FROM jsonb_path_query(p_result, 'strict $.**.errors[*]') e WHERE e ->> 'code' = p_code LIMIT 1
$$;
CREATE FUNCTION pg_temp.listed(p_subscription uuid, p_target text, p_code text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT pg_temp.err(u, p_code) FROM jsonb_array_elements(api.upgrades(p_subscription)) u WHERE u ->> 'target_offer' = p_target
$$;
CREATE TEMP TABLE seen (e jsonb);  -- every error object met, for the checks at the end
CREATE FUNCTION pg_temp.keep(p jsonb) RETURNS jsonb LANGUAGE sql AS $$ INSERT INTO seen VALUES (p) RETURNING e $$;

-- quantity_out_of_range: the range and the quantity asked
SELECT is(pg_temp.keep(pg_temp.err(api.upgrade(business, 'o365-business-premium', 301), 'quantity_out_of_range')),
          '{"code": "quantity_out_of_range", "details": {"offer": "o365-business-premium", "min": 1, "max": 300, "asked": 301},
            "description": "301 licenses is outside the range of o365-business-premium: 1 to 300.",
            "next_step": "ask for 1 to 300 licenses of o365-business-premium"}', 'quantity_out_of_range: upgrade') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.licenses_change('add', business, 291), 'quantity_out_of_range')) -> 'details',
          '{"offer": "o365-business", "min": 1, "max": 300, "asked": 301, "change": "add", "licenses": 291, "current": 10}',
          'quantity_out_of_range: licenses, the total asked, the licenses added and the quantity before') FROM fx;
-- conflicting_service_types: the plans and the subscriptions holding them (id, offer, channel)
SELECT is(pg_temp.keep(pg_temp.listed(m.business, 'o365-business-premium', 'conflicting_service_types')),
          jsonb_build_object('code', 'conflicting_service_types',
              'details', jsonb_build_object('plans', '["exchange-online", "sharepoint-online", "skype-for-business-online"]'::jsonb,
                  'subscriptions', jsonb_build_array(jsonb_build_object('id', direct_e1, 'offer', 'o365-e1', 'channel', 'direct',
                      'sold_by_you', false, 'plans', '["exchange-online", "sharepoint-online", "skype-for-business-online"]'::jsonb)))
                  ,
              'description', format('The customer already has exchange-online, sharepoint-online, skype-for-business-online, which o365-business-premium adds, in subscriptions %s.', direct_e1),
              'next_step', format('the customer cancels subscriptions %s first: %s with 21Vianet (channel direct); then upgrade again', direct_e1, direct_e1)),
          'conflicting_service_types') FROM fx, multi m;
-- target_offer_already_owned: the subscriptions of the target
SELECT is(pg_temp.keep(pg_temp.listed(m.business, 'o365-proplus', 'target_offer_already_owned')) -> 'details',
          jsonb_build_object('offer', 'o365-proplus', 'subscriptions', jsonb_build_array(jsonb_build_object(
              'id', other_proplus, 'offer', 'o365-proplus', 'channel', 'other-reseller', 'sold_by_you', false))),
          'target_offer_already_owned: details') FROM fx, multi m;
SELECT matches(pg_temp.listed(m.business, 'o365-proplus', 'target_offer_already_owned') ->> 'next_step',
               'cancels it with its seller', 'target_offer_already_owned: next step') FROM fx, multi m;
-- delegated_admin_permissions_disabled: the relationship's status, a next step for each
SELECT api.relationship_change('remove', c, 'office365') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(business, 'o365-e3', 'delegated_admin_permissions_disabled')),
          jsonb_build_object('code', 'delegated_admin_permissions_disabled',
              'details', '{"service": "office365", "status": "removed", "expires_at": null}'::jsonb - 'expires_at'
                         || jsonb_build_object('expires_at', (SELECT expires_at FROM core.relationships WHERE customer_id = c)),
              'description', 'Your delegated-admin relationship for office365 was removed.',
              'next_step', format('request a new one: subctl relationship request %s --service office365; once the customer accepts it: subctl relationship accept %s --service office365', c, c)),
          'delegated_admin_permissions_disabled: removed') FROM fx;
SELECT api.relationship_change('request', c, 'office365') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(business, 'o365-e3', 'delegated_admin_permissions_disabled')) -> 'details' ->> 'status',
          'requested', 'delegated_admin_permissions_disabled: requested') FROM fx;
SELECT matches(pg_temp.listed(business, 'o365-e3', 'delegated_admin_permissions_disabled') ->> 'next_step',
               '^the customer accepts the invitation in the Office 365 admin center operated by 21Vianet; then record it: subctl relationship accept',
               'requested: wait for the customer, then record the acceptance') FROM fx;
SELECT api.relationship_change('accept', c, 'office365') FROM fx;
UPDATE core.relationships SET activated_at = now() - interval '40 days', expires_at = now() - interval '1 day'
WHERE customer_id = (SELECT c FROM fx) AND status = 'active';
SELECT is(pg_temp.keep(pg_temp.listed(business, 'o365-e3', 'delegated_admin_permissions_disabled')) -> 'details' ->> 'status',
          'expired', 'delegated_admin_permissions_disabled: expired') FROM fx;
SELECT matches(pg_temp.listed(business, 'o365-e3', 'delegated_admin_permissions_disabled') ->> 'description',
               '^Your delegated-admin relationship for office365 expired at ', 'expired: when') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(held_business, 'o365-e3', 'delegated_admin_permissions_disabled')),
          jsonb_build_object('code', 'delegated_admin_permissions_disabled',
              'details', '{"service": "office365", "status": "held_by_another_partner", "expires_at": null}'::jsonb,
              'description', 'Another partner holds the customer''s delegated-admin privileges for office365.',
              'next_step', format('the customer removes the other partner''s delegated-admin privileges in the Office 365 admin center operated by 21Vianet; then: subctl relationship request %s --service office365', c_held)),
          'delegated_admin_permissions_disabled: held by another partner') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(no_relationship, 'o365-e3', 'delegated_admin_permissions_disabled')) -> 'details' ->> 'status',
          'none', 'delegated_admin_permissions_disabled: none') FROM fx;
-- the codes on the source itself
SELECT is(pg_temp.keep(pg_temp.listed(suspended, 'o365-e3', 'subscription_status_not_active')) ->> 'next_step',
          format('reactivate it first: subctl subscription reactivate %s', suspended), 'subscription_status_not_active: suspended') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(pending, 'o365-e3', 'subscription_not_provisioned')) ->> 'next_step',
          format('once it is provisioned: subctl subscription activate %s', pending), 'subscription_not_provisioned') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(direct_business, 'o365-e3', 'not_reseller_of_record')) -> 'details',
          '{"channel": "direct", "sold_by_you": false}', 'not_reseller_of_record: the channel') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(essentials, 'o365-e1', 'subscription_add_ons_present')),
          jsonb_build_object('code', 'subscription_add_ons_present', 'details', jsonb_build_object('add_ons', jsonb_build_array(essentials_add_on)),
                             'description', format('Subscription %s has add-ons %s.', essentials, essentials_add_on),
                             'next_step', format('cancel the add-ons first: subctl subscription cancel ID, for each of %s', essentials_add_on)),
          'subscription_add_ons_present: the add-ons') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.upgrade(e3, 'o365-e1'), 'subscription_does_not_have_any_upgrade_paths')),
          ('{"code": "subscription_does_not_have_any_upgrade_paths", "details": {"offer": "o365-e3"},
            "description": "No upgrade path leaves offer o365-e3.",
            "next_step": "the customer buys the other offer as a new subscription: subctl subscription add '
            || (SELECT customer_id FROM core.subscriptions WHERE id = e3)
            || ' --offer OFFER --quantity N (subctl catalog show --view paths lists the upgrade paths)"}')::jsonb,
          'subscription_does_not_have_any_upgrade_paths') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.upgrade(business, 'o365-e1'), 'subscription_target_offer_not_found')) -> 'details',
          '{"offer": "o365-business", "target_offer": "o365-e1",
            "targets": ["o365-business-premium", "o365-e3", "o365-proplus", "test-monthly-only"]}',
          'subscription_target_offer_not_found: the targets there are') FROM fx;
SELECT is(pg_temp.keep(pg_temp.listed(annual, 'test-monthly-only', 'offer_does_not_support_billing_cycle')) -> 'details',
          '{"offer": "test-monthly-only", "billing_cycle": "annual", "supported": ["monthly"]}',
          'offer_does_not_support_billing_cycle') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.licenses_change('add', business, 1, p_if_version => 99), 'version_mismatch')) -> 'details',
          jsonb_build_object('expected', 99, 'current', (SELECT version FROM core.subscriptions WHERE id = business)),
          'version_mismatch: expected and current') FROM fx;
SELECT api.licenses_change('add', business, 1, 'eo-request') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.licenses_change('add', business, 2, 'eo-request'), 'request_id_reused')) ->> 'next_step',
          'give this request a new --request-id', 'request_id_reused') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.licenses_change('remove', annual, 1), 'quantity_cannot_be_decreased')) -> 'details',
          '{"billing_cycle": "annual"}', 'quantity_cannot_be_decreased') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.subscription_change('activate', business), 'invalid_status_transition')) ->> 'description',
          format('Subscription %s is active: activate does not apply to it.', business), 'invalid_status_transition') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.upgrade(b_only, 'o365-e3'), 'subscription_not_found')),
          jsonb_build_object('code', 'subscription_not_found', 'details', jsonb_build_object('subscription_id', b_only),
                             'description', format('Subscription %s does not exist.', b_only),
                             'next_step', 'find the subscription: subctl subscription list --customer CUSTOMER'),
          'subscription_not_found: another partner''s, only the id asked') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.subscription_add(c, 'no-such-offer', 1), 'offer_not_found')) ->> 'description',
          'Offer no-such-offer does not exist or is retired.', 'offer_not_found') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.subscription_add(c, 'o365-extra-file-storage', 1), 'add_on_parent_invalid')) -> 'details',
          '{"offer": "o365-extra-file-storage", "parent_subscription_id": null}', 'add_on_parent_invalid') FROM fx;
SELECT is(pg_temp.keep(pg_temp.err(api.subscription_add(c, 'o365-business', 301), 'quantity_out_of_range')) -> 'details',
          '{"offer": "o365-business", "min": 1, "max": 300, "asked": 301}', 'quantity_out_of_range: subscription add') FROM fx;

-- Across every error object met above
SELECT is(ARRAY(SELECT DISTINCT e ->> 'code' FROM seen WHERE e IS NOT NULL AND (e ->> 'next_step') IS NULL), '{}',
          'every error object has a next step');
SELECT is(ARRAY(SELECT e::text FROM seen WHERE (e ->> 'next_step') ~ '\{[a-z_]+\}' OR (e ->> 'description') ~ '\{[a-z_]+\}'),
          '{}', 'no placeholder is left unfilled');
SELECT set_eq($$SELECT DISTINCT e ->> 'code' FROM seen WHERE e IS NOT NULL$$,
              -- The refusals of relationship, customer, partner, user and license operations,
              -- and those of upgrade --into, are met by test.is_refused in their rules_* files,
              -- which asserts the same of each.
              $$SELECT code FROM core.error_guidance WHERE code NOT IN ('customer_not_found', 'customer_ambiguous',
                                                                    'subscription_ambiguous', 'service_not_found',
                                                                    'customer_exists', 'customer_already_linked',
                                                                    'partner_exists', 'partner_not_found',
                                                                    'relationship_exists', 'relationship_not_found',
                                                                    'relationship_already_active',
                                                                    'invalid_relationship_transition',
                                                                    'relationship_expiry_out_of_range',
                                                                    'user_not_found', 'user_exists',
                                                                    'license_quantity_exceeded',
                                                                    'quantity_below_assigned_licenses',
                                                                    'license_transfer_quantity_insufficient',
                                                                    'into_subscription_not_found',
                                                                    'into_subscription_other_customer',
                                                                    'into_subscription_other_offer',
                                                                    'into_subscription_other_billing_cycle',
                                                                    'into_subscription_not_active',
                                                                    'into_subscription_not_reseller_of_record')$$,
              'every code with guidance that an operation or the listing gives was met here');
-- No detail names another partner: B's id and name appear nowhere in what A is told about
-- the customer B serves (B's E1 conflicts, B holds the relationship).
SELECT is(ARRAY(SELECT x FROM (VALUES (api.upgrades(held_business)), (api.upgrade(held_business, 'o365-business-premium')),
                                      (api.subscription_details(held_business)), (api.customer(c_held::text)),
                                      (api.subscriptions(c_held))) v (x)
                WHERE strpos(lower(x::text), lower(b)) > 0 OR strpos(lower(x::text), lower(b_name)) > 0), '{}',
          'no detail or description names another partner (id or name)') FROM fx;
SELECT ok(pg_temp.err(api.upgrade(held_business, 'o365-business-premium'), 'conflicting_service_types') -> 'details' -> 'subscriptions'
          @> jsonb_build_array(jsonb_build_object('id', b_e1, 'channel', 'csp', 'sold_by_you', false)),
          'the other partner''s conflicting subscription shows by id, offer and channel') FROM fx;
-- The listing passes the subscription it read (logic.error_objects' p_source): the same
-- objects as reading it again, and a row that is not the requested subscription is ignored
-- (the visibility rule still decides what the request's subscription shows).
SELECT is(logic.error_objects(a, ARRAY['not_reseller_of_record', 'conflicting_service_types'],
                              jsonb_build_object('subscription_id', business, 'target_offer', 'o365-business-premium'),
                              (SELECT x FROM core.subscriptions x WHERE x.id = business)),
          logic.error_objects(a, ARRAY['not_reseller_of_record', 'conflicting_service_types'],
                              jsonb_build_object('subscription_id', business, 'target_offer', 'o365-business-premium')),
          'error objects from the subscription the caller read = from the subscription read again') FROM fx;
SELECT is(logic.error_objects(a, ARRAY['not_reseller_of_record'], jsonb_build_object('subscription_id', b_only),
                              (SELECT x FROM core.subscriptions x WHERE x.id = business)),
          logic.error_objects(a, ARRAY['not_reseller_of_record'], jsonb_build_object('subscription_id', b_only)),
          'a subscription passed that is not the one the request names is ignored') FROM fx;

SELECT * FROM finish();
ROLLBACK;
