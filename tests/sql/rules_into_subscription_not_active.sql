-- into_subscription_not_active: the subscription to upgrade into is suspended, pending,
-- cancelled or replaced by an upgrade; each case says what to do.
BEGIN;
SELECT plan(9);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'customer', 'o365-business-premium', 5) AS premium \gset
SELECT api.subscription_change('suspend', :'premium') ->> 'status' AS ignored \gset

SELECT test.is_refused(format('api.upgrade(%L, NULL, p_into_subscription_id => %L)', :'business', :'premium'),
                       'into_subscription_not_active',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions', 'subscription_id', :'business',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       'into a suspended subscription');
SELECT is(api.upgrade(:'business', NULL, p_into_subscription_id => :'premium') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'into_subscription_not_active',
              'details', jsonb_build_object('into_subscription_id', :'premium', 'status', 'suspended', 'upgraded_to', NULL),
              'description', format('Subscription %s to upgrade into is suspended.', :'premium'),
              'next_step', format('reactivate it first: subctl subscription reactivate %s', :'premium'))),
          'suspended: reactivate it');
SELECT api.subscription_change('reactivate', :'premium') ->> 'status' AS ignored \gset
SELECT test.new_subscription(:'customer', 'o365-business-essentials', 2) AS essentials \gset
SELECT api.upgrade(:'premium', 'o365-e3') ->> 'target_subscription_id' AS e3 \gset
SELECT is(api.upgrade(:'essentials', NULL, p_into_subscription_id => :'premium') -> 'errors' -> 0 ->> 'next_step',
          format('upgrade into the subscription that replaced it, if of the target offer (subctl subscription show %s), or without --into', :'e3'),
          'replaced by its upgrade: its successor');
SELECT api.subscription_change('cancel', :'e3') ->> 'status' AS ignored \gset
SELECT is(api.upgrade(:'business', 'o365-e3', p_into_subscription_id => :'e3') -> 'errors' -> 0 ->> 'description',
          format('Subscription %s to upgrade into is cancelled.', :'e3'), 'cancelled');
-- A customer with nothing else: the pending E3 itself would own E3 and conflict.
SELECT test.new_customer() AS fresh \gset
SELECT test.new_subscription(:'fresh', 'o365-business', 10) AS fresh_business,
       test.new_subscription(:'fresh', 'o365-e3', 2, p_status => 'pending') AS pending \gset
SELECT is(api.upgrade(:'fresh_business', NULL, p_into_subscription_id => :'pending') -> 'errors' -> 0 ->> 'next_step',
          format('once it is provisioned: subctl subscription activate %s', :'pending'), 'pending: activate it');
SELECT is(test.codes(api.upgrade(:'fresh_business', NULL, p_into_subscription_id => :'pending')), '{into_subscription_not_active}',
          'that subscription counts neither as owned nor as conflicting');

SELECT * FROM finish();
ROLLBACK;
