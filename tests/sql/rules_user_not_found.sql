-- user_not_found: a USER (id or user principal name) that is no user of the subscription's
-- customer; every one is named, and nothing is assigned (all or nothing). A user of
-- another customer is not found either.
BEGIN;
SELECT plan(10);

SELECT test.act_as_new_partner('users') AS partner \gset
SELECT test.new_customer() AS customer, test.new_customer(false) AS other \gset
SELECT test.new_subscription(:'customer', 'o365-business', 5) AS sub \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn') ->> 'id' AS anna \gset
SELECT api.user_add(:'other', 'otto@other.partner.onmschina.cn') ->> 'id' AS otto \gset

SELECT test.is_refused(format('api.license_change(%L, %L, ARRAY[%L, %L, %L])', 'assign', :'sub',
                              'anna@contoso.partner.onmschina.cn', 'nobody@contoso.partner.onmschina.cn', :'otto'),
                       'user_not_found',
                       jsonb_build_object('operation', 'assign_license', 'entity', 'license_assignments',
                                          'subscription_id', :'sub', 'partner_id', :'partner', 'customer_id', :'customer'),
                       'assign to a known user, an unknown one and another customer''s');
SELECT is(api.license_change('assign', :'sub', ARRAY['anna@contoso.partner.onmschina.cn', 'nobody@contoso.partner.onmschina.cn', :'otto'])
              -> 'errors' -> 0,
          jsonb_build_object('code', 'user_not_found',
                             'details', jsonb_build_object('users', jsonb_build_array('nobody@contoso.partner.onmschina.cn', :'otto')),
                             'description', format('Users nobody@contoso.partner.onmschina.cn, %s do not exist for customer %s.', :'otto', :'customer'),
                             'next_step', format('see its users: subctl user list --customer %s; add one: subctl user add %s --upn NAME@DOMAIN',
                                                 :'customer', :'customer')),
          'every user not found is named, in the order given');
SELECT test.is_refused(format('api.license_change(%L, %L, ARRAY[%L])', 'unassign', :'sub', 'nobody@contoso.partner.onmschina.cn'),
                       'user_not_found',
                       jsonb_build_object('operation', 'unassign_license', 'entity', 'license_assignments',
                                          'subscription_id', :'sub', 'customer_id', :'customer'),
                       'unassign an unknown user');
SELECT is(api.license_change('assign', :'sub', ARRAY[:'anna']) ->> 'status', 'succeeded', 'a user named by its id');

SELECT * FROM finish();
ROLLBACK;
