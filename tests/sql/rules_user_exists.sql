-- user_exists: a user principal name already in the customer, whatever its case; the same
-- name in another customer is another user. Audited against the customer.
BEGIN;
SELECT plan(7);

SELECT test.act_as_new_partner('users') AS partner \gset
SELECT test.new_customer(false) AS customer, test.new_customer(false) AS other \gset
SELECT api.user_add(:'customer', 'anna@contoso.partner.onmschina.cn', 'Anna') ->> 'id' AS anna \gset

SELECT test.is_refused(format('api.user_add(%L, %L)', :'customer', 'ANNA@Contoso.partner.onmschina.cn'), 'user_exists',
                       jsonb_build_object('operation', 'add_user', 'entity', 'users', 'partner_id', :'partner',
                                          'customer_id', :'customer'),
                       'user add with a user principal name the customer has, in another case');
SELECT is(api.user_add(:'customer', 'ANNA@Contoso.partner.onmschina.cn') -> 'errors' -> 0,
          jsonb_build_object('code', 'user_exists', 'details', jsonb_build_object('upn', 'anna@contoso.partner.onmschina.cn'),
                             'description', format('User anna@contoso.partner.onmschina.cn already exists in customer %s.', :'customer'),
                             'next_step', format('nothing to add: see the users with subctl user list --customer %s', :'customer')),
          'the error names the user as recorded, and how to see the users');
SELECT is(api.user_add(:'other', 'anna@contoso.partner.onmschina.cn') ->> 'status', 'succeeded',
          'the same name in another customer is another user');
SELECT throws_ok(format($$INSERT INTO core.users (customer_id, upn) VALUES (%L, 'Anna@contoso.partner.onmschina.cn')$$, :'customer'),
                 '23505', NULL, 'the table itself refuses the name in another case (unique_users_customer_upn)');

SELECT * FROM finish();
ROLLBACK;
