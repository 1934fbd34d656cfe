-- into_subscription_not_reseller_of_record: only a subscription the acting partner sold
-- can grow: not one bought directly, from another reseller, or sold by another partner.
BEGIN;
SELECT plan(6);

SELECT test.act_as_new_partner('into') AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business', 10) AS business,
       test.new_subscription(:'customer', 'o365-business-premium', 5, p_channel => 'direct') AS direct_premium \gset

SELECT test.is_refused(format('api.upgrade(%L, NULL, p_into_subscription_id => %L)', :'business', :'direct_premium'),
                       'into_subscription_not_reseller_of_record',
                       jsonb_build_object('operation', 'upgrade', 'entity', 'subscriptions', 'subscription_id', :'business',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       'into a subscription bought directly');
SELECT is(api.upgrade(:'business', NULL, p_into_subscription_id => :'direct_premium') -> 'errors',
          jsonb_build_array(jsonb_build_object('code', 'into_subscription_not_reseller_of_record',
              'details', jsonb_build_object('into_subscription_id', :'direct_premium', 'into_channel', 'direct', 'sold_by_you', false),
              'description', format('Subscription %s (channel direct) was not sold by you.', :'direct_premium'),
              'next_step', 'only a subscription you sold can grow: the customer cancels it with its seller (21Vianet for channel direct, its other reseller otherwise), then upgrade without --into')),
          'the details: its channel, never its seller');
-- Another partner's csp subscription of a customer both see.
SELECT api.subscription_change('cancel', :'direct_premium') ->> 'status' AS ignored \gset
SELECT test.act_as_new_partner('other') AS other \gset
SELECT test.link(:'customer', :'other');
SELECT test.new_relationship(:'customer', false) ->> 'status' AS ignored \gset
SELECT test.new_subscription(:'customer', 'o365-business-premium', 5) AS others_premium \gset
SELECT test.act_as(:'partner');
SELECT is(test.codes(api.upgrade(:'business', NULL, p_into_subscription_id => :'others_premium')),
          '{into_subscription_not_reseller_of_record}', 'another partner''s Premium');

SELECT * FROM finish();
ROLLBACK;
