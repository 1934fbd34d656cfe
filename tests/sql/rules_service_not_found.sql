-- service_not_found: a relationship names a service of the catalog.
BEGIN;
SELECT plan(5);

SELECT test.act_as_new_partner('service') AS partner \gset
SELECT test.new_customer(false) AS customer \gset

SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', op, :'customer', 'dynamics365'), 'service_not_found',
                       jsonb_build_object('operation', op || '_relationship', 'entity', 'relationships',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       op || ' for an unknown service')
FROM unnest(ARRAY['request']) op;
SELECT is(api.relationship_change('request', :'customer', 'dynamics365') -> 'errors' -> 0 ->> 'description',
          'Service dynamics365 does not exist.', 'the refusal names the service');

SELECT * FROM finish();
ROLLBACK;
