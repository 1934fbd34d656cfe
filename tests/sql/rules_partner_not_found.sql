-- partner_not_found: the platform links a customer to, or maps a login to, a partner
-- that exists; the refusal is audited under no partner.
BEGIN;
SELECT plan(9);

SELECT test.act_as_new_partner('owner') AS owner \gset
SELECT test.new_customer(false) AS customer \gset
SELECT test.act_as('');
SELECT test.is_refused(format('api.customer_link(%L, %L)', :'customer', 'no-such-partner'), 'partner_not_found',
                       jsonb_build_object('operation', 'link_customer', 'entity', 'partner_customers',
                                          'entity_id', 'no-such-partner', 'partner_id', NULL, 'customer_id', :'customer'),
                       'customer link to an unknown partner');
CREATE ROLE tap_unmapped_login LOGIN;
SELECT test.is_refused(format('api.partner_login_map(%L, %L)', 'tap_unmapped_login', 'no-such-partner'), 'partner_not_found',
                       jsonb_build_object('operation', 'map_login', 'entity', 'partner_logins',
                                          'entity_id', 'tap_unmapped_login', 'partner_id', NULL, 'customer_id', NULL),
                       'map-login to an unknown partner');
SELECT is(api.partner_login_map('tap_unmapped_login', 'no-such-partner') -> 'errors' -> 0 ->> 'description',
          'Partner no-such-partner does not exist.', 'the refusal names the partner');

SELECT * FROM finish();
ROLLBACK;
