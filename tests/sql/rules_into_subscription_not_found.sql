-- into_subscription_not_found: the subscription to upgrade into does not exist for the
-- acting partner: unknown, or of a customer it does not see (which tells nothing more).
BEGIN;
SELECT plan(11);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business \gset
SELECT gen_random_uuid() AS unknown \gset

SELECT test.is_refused(format('api.upgrade(%L, %L, p_into_subscription_id => %L)', :'business', 'o365-business-premium', :'unknown'),
                       'into_subscription_not_found',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions', 'subscription_id', :'business',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       'into an unknown subscription');
SELECT is(api.upgrade(:'business', NULL, p_into_subscription_id => :'unknown') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'into_subscription_not_found',
              'details', jsonb_build_object('into_subscription_id', :'unknown'),
              'description', format('Subscription %s to upgrade into does not exist.', :'unknown'),
              'next_step', 'find the customer''s subscriptions: subctl subscription list --customer CUSTOMER; or upgrade without --into (a new subscription of the target offer)')),
          'without --to there is no target offer: that error alone');

-- Another partner's subscription of a customer this partner does not see.
SELECT test.act_as_new_partner('other') AS other \gset
SELECT test.new_subscription(test.new_customer(), 'o365-business-premium', 5) AS hidden \gset
SELECT test.act_as(:'partner');
SELECT test.is_refused(format('api.upgrade(%L, NULL, p_into_subscription_id => %L)', :'business', :'hidden'),
                       'into_subscription_not_found',
                       jsonb_build_object('operation', 'upgrade', 'subscription_id', :'business', 'partner_id', :'partner'),
                       'into a subscription of a customer the partner does not see');
SELECT is(api.upgrade(:'business', NULL, p_into_subscription_id => :'hidden') -> 'errors' -> 0 -> 'details',
          jsonb_build_object('into_subscription_id', :'hidden'), 'its details name only the id asked');
SELECT is((SELECT quantity FROM core.subscriptions WHERE id = :'hidden'), 5, 'it is left alone');

SELECT * FROM finish();
ROLLBACK;
