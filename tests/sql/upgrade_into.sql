-- upgrade --into (SPEC 7.3): the target is the acting partner's existing active
-- subscription of the target offer, which grows by the licenses asked (default: the
-- source's); the source is suspended (upgraded, pointing to it); the licenses move, a user
-- holding both keeps one. That subscription neither owns the target offer nor conflicts;
-- every other rule holds, another subscription of the offer included.
BEGIN;
SELECT plan(36);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'customer', 'o365-business-premium', 5) AS premium \gset
SELECT version AS premium_version FROM core.subscriptions WHERE id = :'premium' \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer', 'ben@contoso.partner.onmschina.cn') ->> 'id' AS ben,
       api.user_add(:'customer', 'cleo@contoso.partner.onmschina.cn') ->> 'id' AS cleo \gset
SELECT api.license_change('assign', :'business', ARRAY[:'anna', :'ben']) ->> 'status' AS ignored \gset
SELECT api.license_change('assign', :'premium', ARRAY[:'ben', :'cleo']) ->> 'status' AS ignored \gset

-- Without --into, Premium is owned, and holds the plans Business -> Premium adds.
SELECT is(test.listed_codes(:'business', 'o365-business-premium'), '{conflicting_service_types,target_offer_already_owned}',
          'the listing: a new Premium is refused (owned, conflicting)');
-- Into it: neither applies.
SELECT is(test.codes(api.upgrade(:'business', NULL, p_into_subscription_id => :'premium', p_dry_run => true)), '{}',
          'into the Premium itself: eligible');
SELECT is(test.codes(api.upgrade(:'business', 'o365-business-premium', p_into_subscription_id => :'premium', p_dry_run => true)),
          '{}', 'with --to naming its offer as well');
-- The listing with p_into (upgrades --into) judges each target as that upgrade would.
SELECT is(ARRAY(SELECT (u ->> 'target_offer') || ' ' || test.codes(u)::text
                FROM jsonb_array_elements(api.upgrades(:'business', p_into => :'premium')) u),
          ARRAY['o365-business-premium {}', 'o365-e3 {into_subscription_other_offer}', 'o365-proplus {into_subscription_other_offer}'],
          'the listing into Premium: Premium eligible; the other targets are not its offer');
SELECT is(ARRAY(SELECT test.codes(u)::text FROM jsonb_array_elements(api.upgrades(:'business', 296, :'premium')) u
                WHERE u ->> 'target_offer' = 'o365-business-premium'),
          ARRAY['{quantity_out_of_range}'], 'with --quantity: 5 + 296 is out of Premium''s range');
SELECT is((SELECT u -> 'errors' -> 0 -> 'details' ->> 'room' FROM jsonb_array_elements(api.upgrades(:'business', 296, :'premium')) u
           WHERE u ->> 'target_offer' = 'o365-business-premium'), '295', 'described as the upgrade describes it');

SELECT max(id) AS first_event FROM core.audit_events \gset
SELECT api.upgrade(:'business', NULL, 4, p_request_id => 'into-1', p_comment => 'merge into premium',
                   p_into_subscription_id => :'premium') AS result \gset
SELECT is(:'result'::jsonb,
          jsonb_build_object('status', 'succeeded', 'errors', '[]'::jsonb, 'source_subscription_id', :'business',
                             'target_offer', 'o365-business-premium', 'target_subscription_id', :'premium',
                             'into_subscription_id', :'premium', 'quantity', 9, 'quantity_added', 4,
                             'upgrade_type', 'upgrade_with_license_transfer', 'licenses_transferred', 2,
                             'request_id', 'into-1',
                             'next_steps', jsonb_build_array('o365-business had 10 licenses and o365-business-premium grew by 4: choose the 6 users who lose theirs in the Office 365 admin center operated by 21Vianet')),
          'the result: the existing target, its new quantity, the licenses added and moved');
SELECT is((SELECT ARRAY[status, quantity::text, upgraded_from_subscription_id::text] FROM core.subscriptions WHERE id = :'premium'),
          ARRAY['active', '9', NULL], 'the target grew from 5 to 9 licenses and stays what it was');
SELECT is((SELECT version FROM core.subscriptions WHERE id = :'premium'), :'premium_version'::bigint + 1,
          'the target''s version moved on');
SELECT is((SELECT ARRAY[status, status_reason, upgraded_to_subscription_id::text, quantity::text]
           FROM core.subscriptions WHERE id = :'business'),
          ARRAY['suspended', 'upgraded', :'premium', '10'], 'the source: suspended, upgraded, pointing to the target');
SELECT is((SELECT count(*) FROM core.subscriptions WHERE customer_id = :'customer'), 2::bigint, 'no subscription created');
SELECT is(ARRAY(SELECT u.upn FROM core.license_assignments a JOIN core.users u ON u.id = a.user_id
                WHERE a.subscription_id = :'premium' ORDER BY u.upn),
          ARRAY['anna@contoso.partner.onmschina.cn', 'ben@contoso.partner.onmschina.cn', 'cleo@contoso.partner.onmschina.cn'],
          'the licenses moved: Anna''s joins; Ben, who held both, keeps one');
SELECT is((SELECT count(*) FROM core.license_assignments WHERE subscription_id = :'business'), 0::bigint,
          'the source holds no license');
SELECT is((SELECT array_agg(ARRAY[entity, entity_id, operation, outcome, request_id, comment]::text ORDER BY entity, entity_id)
           FROM core.audit_events WHERE id > :first_event AND entity = 'subscriptions'),
          ARRAY[ARRAY['subscriptions', least(:'business', :'premium'), 'upgrade', 'succeeded', 'into-1', 'merge into premium']::text,
                ARRAY['subscriptions', greatest(:'business', :'premium'), 'upgrade', 'succeeded', 'into-1', 'merge into premium']::text],
          'audited: the source and the target, each once, under the request id and the comment');
SELECT is((SELECT changes FROM core.audit_events WHERE id > :first_event AND entity_id = :'premium'),
          '{"quantity": [5, 9]}', 'the target''s event: its quantity');
SELECT is((SELECT count(*) FROM core.audit_events WHERE id > :first_event AND entity = 'license_assignments'
             AND operation = 'upgrade'), 3::bigint,
          'the licenses'' events: two released from the source, one added to the target');
SELECT is(api.upgrade(:'business', NULL, 4, p_request_id => 'into-1', p_into_subscription_id => :'premium') - 'request_id',
          :'result'::jsonb - 'request_id', 'a replay of the request id returns the first result');
SELECT is((SELECT quantity FROM core.subscriptions WHERE id = :'premium'), 9, 'and changes nothing');
SELECT is(test.codes(api.upgrade(:'business', NULL, 5, p_request_id => 'into-1', p_into_subscription_id => :'premium')),
          '{request_id_reused}', 'the request id with another quantity: reused');

-- The default quantity is the source's; a dry run names the subscription it would grow
-- as into_subscription_id (its target_subscription_id is null, as every dry run's) and
-- changes nothing.
SELECT test.new_subscription(:'customer', 'o365-business-essentials', 7) AS essentials \gset
SELECT api.upgrade(:'essentials', NULL, p_into_subscription_id => :'premium', p_dry_run => true) AS dry \gset
SELECT is(ARRAY[:'dry'::jsonb ->> 'status', :'dry'::jsonb ->> 'target_subscription_id', :'dry'::jsonb ->> 'into_subscription_id',
                :'dry'::jsonb ->> 'quantity', :'dry'::jsonb ->> 'quantity_added'],
          ARRAY['dry_run', NULL, :'premium', '16', '7'],
          'dry run: no target_subscription_id, the subscription upgraded into named, 9 + the source''s 7');
SELECT is((SELECT ARRAY[quantity::text, (SELECT status FROM core.subscriptions WHERE id = :'essentials')]
           FROM core.subscriptions WHERE id = :'premium'), ARRAY['9', 'active'], 'the dry run changed nothing');

-- Every other rule holds: another subscription of the target offer is still owned, and
-- another that holds a plan the upgrade adds still conflicts.
SELECT test.new_subscription(:'customer', 'o365-business-premium', 1, p_channel => 'direct') AS direct_premium \gset
SELECT api.upgrade(:'essentials', NULL, p_into_subscription_id => :'premium') AS owned \gset
SELECT is(test.codes(:'owned'), '{conflicting_service_types,target_offer_already_owned}',
          'another Premium (direct) is still owned, and holds office-desktop-apps, which Essentials -> Premium adds');
SELECT is(ARRAY[:'owned'::jsonb -> 'errors' -> 0 -> 'details' -> 'subscriptions', :'owned'::jsonb -> 'errors' -> 1 -> 'details' -> 'subscriptions'],
          ARRAY[jsonb_build_array(jsonb_build_object('id', :'direct_premium', 'offer', 'o365-business-premium', 'channel', 'direct',
                                                     'sold_by_you', false, 'plans', jsonb_build_array('office-desktop-apps'))),
                jsonb_build_array(jsonb_build_object('id', :'direct_premium', 'offer', 'o365-business-premium', 'channel', 'direct',
                                                     'sold_by_you', false))],
          'the details name that one, not the subscription upgraded into');
SELECT api.subscription_change('cancel', :'direct_premium') ->> 'status' AS ignored \gset
SELECT test.new_subscription(test.new_customer(), 'o365-business', 3) AS other_business \gset
SELECT customer_id AS other_customer FROM core.subscriptions WHERE id = :'other_business' \gset
SELECT test.new_subscription(:'other_customer', 'o365-e3', 2) AS other_e3,
       test.new_subscription(:'other_customer', 'o365-proplus', 1, p_channel => 'other-reseller') AS proplus \gset
SELECT api.upgrade(:'other_business', NULL, p_into_subscription_id => :'other_e3') AS conflicting \gset
SELECT is(test.codes(:'conflicting'), '{conflicting_service_types}',
          'Business into an E3: a ProPlus of another reseller holds office-proplus, which E3 adds');
SELECT is(:'conflicting'::jsonb -> 'errors' -> 0 -> 'details',
          jsonb_build_object('plans', jsonb_build_array('office-proplus'), 'subscriptions', jsonb_build_array(jsonb_build_object(
              'id', :'proplus', 'offer', 'o365-proplus', 'channel', 'other-reseller', 'sold_by_you', false,
              'plans', jsonb_build_array('office-proplus')))),
          'the details name the ProPlus only');
SELECT api.subscription_change('cancel', :'proplus') ->> 'status' AS ignored \gset
SELECT is(test.codes(api.upgrade(:'other_business', NULL, p_into_subscription_id => :'other_e3', p_dry_run => true)), '{}',
          'once it is cancelled: eligible');

-- The range applies to the new quantity.
SELECT api.licenses_change('add', :'premium', 289) ->> 'status' AS ignored \gset
SELECT api.upgrade(:'essentials', NULL, 3, p_into_subscription_id => :'premium') AS out_of_range \gset
SELECT is(test.codes(:'out_of_range'), '{quantity_out_of_range}', '298 + 3 is above Premium''s 300');
SELECT is(:'out_of_range'::jsonb -> 'errors' -> 0,
          jsonb_build_object('code', 'quantity_out_of_range',
              'details', jsonb_build_object('offer', 'o365-business-premium', 'min', 1, 'max', 300, 'asked', 301, 'status', 'into',
                                            'into_subscription_id', :'premium', 'into_quantity', 298, 'added', 3, 'room', 2),
              'description', format('301 licenses is outside the range of o365-business-premium: 1 to 300 (subscription %s has 298, 3 more were asked).', :'premium'),
              'next_step', format('ask for 1 to 2 more licenses of subscription %s, or upgrade without --into', :'premium')),
          'the error names the subscription''s quantity, the licenses added and the room left');
SELECT is(test.codes(api.upgrade(:'essentials', NULL, 0, p_into_subscription_id => :'premium')), '{quantity_out_of_range}',
          'growing by no license is out of range as well');
SELECT is(test.codes(api.upgrade(:'essentials', NULL, 2, p_into_subscription_id => :'premium', p_dry_run => true)), '{}',
          '298 + 2 fits');

-- The licenses: the grown subscription must hold those it has and those that move.
SELECT api.licenses_change('remove', :'premium', 288) ->> 'status' AS ignored \gset
SELECT api.user_add(:'customer', 'dan@contoso.partner.onmschina.cn') ->> 'id' AS dan,
       api.user_add(:'customer', 'eve@contoso.partner.onmschina.cn') ->> 'id' AS eve \gset
SELECT api.license_change('assign', :'essentials', ARRAY[:'dan', :'eve', :'anna']) ->> 'status' AS ignored \gset
-- Premium: 10 licenses, 3 assigned (Anna, Ben, Cleo); Essentials: Dan, Eve, Anna.
SELECT is(test.codes(api.upgrade(:'essentials', NULL, 1, p_into_subscription_id => :'premium', p_dry_run => true)), '{}',
          '11 licenses hold its 3 and the 2 of users who hold none of it (Anna holds one)');
SELECT api.licenses_change('remove', :'premium', 5) ->> 'status' AS ignored \gset
-- Premium: 5 licenses, 3 assigned; growing by 1 leaves 3 for the 2 that move: enough.
SELECT is(test.codes(api.upgrade(:'essentials', NULL, 1, p_into_subscription_id => :'premium', p_dry_run => true)), '{}',
          '6 licenses hold 3 + 2');
SELECT api.license_change('assign', :'premium', ARRAY[:'dan']) ->> 'status' AS ignored \gset
SELECT api.license_change('unassign', :'essentials', ARRAY[:'anna']) ->> 'status' AS ignored \gset
SELECT api.user_add(:'customer', 'finn@contoso.partner.onmschina.cn') ->> 'id' AS finn,
       api.user_add(:'customer', 'gus@contoso.partner.onmschina.cn') ->> 'id' AS gus \gset
SELECT api.license_change('assign', :'essentials', ARRAY[:'finn', :'gus']) ->> 'status' AS ignored \gset
-- Premium: 5, 4 assigned (Anna, Ben, Cleo, Dan); Essentials: Dan, Eve, Finn, Gus: 3 move.
SELECT is(api.upgrade(:'essentials', NULL, 1, p_into_subscription_id => :'premium') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'license_transfer_quantity_insufficient',
              'details', jsonb_build_object('status', 'into', 'into_subscription_id', :'premium', 'assigned', 3, 'quantity', 6,
                                            'into_assigned', 4, 'available', 2, 'needed', 2),
              'description', format('Subscription %s (o365-business-premium) would have 6 licenses, 4 of them assigned: the other 2 cannot hold the 3 licenses assigned on subscription %s.', :'premium', :'essentials'),
              'next_step', format('upgrade with --quantity 2 or more; or unassign licenses first (subctl license unassign %s USER...); or upgrade with --no-license-transfer and reassign them afterwards', :'essentials'))),
          '6 licenses cannot hold its 4 and 3 more: the error says how many to add');
SELECT is(test.codes(api.upgrade(:'essentials', NULL, 2, p_into_subscription_id => :'premium', p_dry_run => true)), '{}',
          'growing by the licenses it names is enough');
SELECT is(test.codes(api.upgrade(:'essentials', NULL, 1, p_into_subscription_id => :'premium', p_dry_run => true,
                                 p_license_transfer => false)), '{}', 'upgrade_only is not refused by it');
SELECT api.upgrade(:'essentials', NULL, 1, p_into_subscription_id => :'premium', p_license_transfer => false) AS upgrade_only \gset
SELECT is(ARRAY[:'upgrade_only'::jsonb ->> 'upgrade_type', :'upgrade_only'::jsonb ->> 'licenses_transferred',
                (SELECT count(*)::text FROM core.license_assignments WHERE subscription_id = :'essentials')],
          ARRAY['upgrade_only', '0', '4'], 'upgrade_only into: the licenses stay on the suspended source');

SELECT * FROM finish();
ROLLBACK;
