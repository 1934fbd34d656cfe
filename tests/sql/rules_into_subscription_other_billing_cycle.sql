-- into_subscription_other_billing_cycle: the subscription to upgrade into is billed on
-- another cycle than the source.
BEGIN;
SELECT plan(6);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'customer', 'o365-business-premium', 5, p_billing_cycle => 'annual') AS premium \gset

SELECT test.is_refused(format('api.upgrade(%L, NULL, p_into_subscription_id => %L)', :'business', :'premium'),
                       'into_subscription_other_billing_cycle',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions', 'subscription_id', :'business',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       'monthly into annual');
SELECT is(api.upgrade(:'business', NULL, p_into_subscription_id => :'premium') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'into_subscription_other_billing_cycle',
              'details', jsonb_build_object('into_subscription_id', :'premium', 'into_billing_cycle', 'annual',
                                            'billing_cycle', 'monthly'),
              'description', format('Subscription %s is billed annual, subscription %s monthly.', :'premium', :'business'),
              'next_step', 'upgrade into a monthly subscription of the target offer, or without --into (a new monthly subscription)')),
          'the details: both cycles');
SELECT is(test.codes(api.upgrade(:'business', NULL, p_into_subscription_id => :'premium', p_dry_run => true))
          = '{into_subscription_other_billing_cycle}', true, 'a dry run says the same');

SELECT * FROM finish();
ROLLBACK;
