-- into_subscription_other_offer: --to names an offer and the subscription to upgrade into
-- is of another. Without --to the target is that subscription's offer, and an offer that
-- is no upgrade of the source's is subscription_target_offer_not_found as always.
BEGIN;
SELECT plan(7);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'customer', 'o365-business-premium', 5) AS premium \gset

SELECT test.is_refused(format('api.upgrade(%L, %L, p_into_subscription_id => %L)', :'business', 'o365-e3', :'premium'),
                       'into_subscription_other_offer',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions', 'subscription_id', :'business',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       '--to E3 into a Premium');
SELECT is(api.upgrade(:'business', 'o365-e3', p_into_subscription_id => :'premium') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'into_subscription_other_offer',
              'details', jsonb_build_object('into_subscription_id', :'premium', 'into_offer', 'o365-business-premium',
                                            'target_offer', 'o365-e3'),
              'description', format('Subscription %s is of o365-business-premium, not of the target offer o365-e3.', :'premium'),
              'next_step', format('leave out --to (the target is then the offer of %s), or upgrade into a subscription of o365-e3', :'premium'))),
          'the details: its offer and the target');
SELECT test.new_subscription(:'customer', 'o365-business-essentials', 5) AS essentials \gset
SELECT is(test.codes(api.upgrade(:'business', NULL, p_into_subscription_id => :'essentials')),
          '{subscription_target_offer_not_found}', 'into an Essentials, no upgrade of Business: not an upgrade path');
SELECT is(test.codes(api.upgrade(:'business', NULL, p_into_subscription_id => :'business')),
          '{subscription_target_offer_not_found}', 'into itself: no path leads from an offer to itself');

SELECT * FROM finish();
ROLLBACK;
