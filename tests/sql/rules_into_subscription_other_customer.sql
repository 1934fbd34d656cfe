-- into_subscription_other_customer: the subscription to upgrade into is another customer's
-- (one the partner sees); it is not changed, and it does not spare the source's customer
-- the ownership rules.
BEGIN;
SELECT plan(7);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer, test.new_customer() AS other_customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'other_customer', 'o365-business-premium', 5) AS other_premium \gset

SELECT test.is_refused(format('api.upgrade(%L, NULL, p_into_subscription_id => %L)', :'business', :'other_premium'),
                       'into_subscription_other_customer',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions', 'subscription_id', :'business',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       'into a subscription of another customer');
SELECT is(api.upgrade(:'business', NULL, p_into_subscription_id => :'other_premium') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'into_subscription_other_customer',
              'details', jsonb_build_object('into_subscription_id', :'other_premium', 'into_customer_id', :'other_customer'),
              'description', format('Subscription %s is of customer %s, not of customer %s of subscription %s.',
                                    :'other_premium', :'other_customer', :'customer', :'business'),
              'next_step', format('upgrade into a subscription of customer %s (subctl subscription list --customer %s), or without --into',
                                  :'customer', :'customer'))),
          'the details: the other customer');
-- The customer's own Premium still counts: only the customer's own subscription is spared.
SELECT test.new_subscription(:'customer', 'o365-business-premium', 1, p_channel => 'direct') AS own_premium \gset
SELECT is(test.codes(api.upgrade(:'business', NULL, p_into_subscription_id => :'other_premium')),
          '{into_subscription_other_customer,conflicting_service_types,target_offer_already_owned}',
          'with a Premium of its own customer: every error, that one owned and conflicting');
SELECT is(test.codes(api.upgrade(:'business', 'o365-e3', p_into_subscription_id => :'other_premium')),
          '{into_subscription_other_customer,into_subscription_other_offer,conflicting_service_types}',
          'several into errors together, with the rules of the source''s customer');

SELECT * FROM finish();
ROLLBACK;
