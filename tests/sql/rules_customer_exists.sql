-- customer_exists: a customer id or domain that exists, the acting partner's or
-- another's: that it exists, and nothing more (SPEC 7.1); audited against the customer
-- only when the acting partner sees it.
BEGIN;
SELECT plan(14);

SELECT test.act_as_new_partner('other') AS other \gset
SELECT (api.customer_add('Other tenant', NULL, 'other-tenant.partner.onmschina.cn') ->> 'id') AS theirs \gset
SELECT test.act_as_new_partner('exists') AS partner \gset
SELECT test.new_customer(false) AS mine \gset

SELECT test.is_refused(format('api.customer_add(%L, %L)', 'Mine again', :'mine'), 'customer_exists',
                       jsonb_build_object('operation', 'add_customer', 'entity', 'customers', 'entity_id', :'mine',
                                          'partner_id', :'partner', 'customer_id', :'mine'),
                       'customer add with the id of its own customer');
SELECT test.is_refused(format('api.customer_add(%L, %L)', 'Mine now', :'theirs'), 'customer_exists',
                       jsonb_build_object('operation', 'add_customer', 'entity_id', :'theirs',
                                          'partner_id', :'partner', 'customer_id', NULL),
                       'customer add with the id of another partner''s tenant: audited without it');
SELECT test.is_refused(format('api.customer_add(%L, NULL, %L)', 'Same domain', 'OTHER-tenant.partner.onmschina.cn'),
                       'customer_exists',
                       jsonb_build_object('operation', 'add_customer', 'partner_id', :'partner', 'customer_id', NULL),
                       'customer add with a domain that exists (any case)');
SELECT is(api.customer_add('Mine now', :'theirs') - 'errors',
          jsonb_build_object('status', 'rejected', 'id', :'theirs', 'name', 'Mine now', 'domain', NULL, 'request_id', NULL),
          'the record: what was asked, nothing of the tenant');
SELECT is(api.customer_add('Mine now', :'theirs') -> 'errors' -> 0 ->> 'description',
          'A customer with that id or domain already exists.', 'the sentence says that it exists and nothing more');

SELECT * FROM finish();
ROLLBACK;
