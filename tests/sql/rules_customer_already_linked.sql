-- customer_already_linked: the platform links a customer to a partner once; audited
-- under no partner, on the customer's chain.
BEGIN;
SELECT plan(5);

SELECT test.act_as_new_partner('owner') AS owner \gset
SELECT test.new_customer(false) AS customer \gset
SELECT test.act_as('');
SELECT test.is_refused(format('api.customer_link(%L, %L)', :'customer', :'owner'), 'customer_already_linked',
                       jsonb_build_object('operation', 'link_customer', 'entity', 'partner_customers', 'entity_id', :'owner',
                                          'partner_id', NULL, 'customer_id', :'customer'),
                       'linking the partner that added the customer');
SELECT is(api.customer_link(:'customer', :'owner') -> 'errors' -> 0 ->> 'description',
          format('Customer %s is already visible to partner %s.', :'customer', :'owner'), 'the refusal names both');

SELECT * FROM finish();
ROLLBACK;
