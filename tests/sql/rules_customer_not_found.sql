-- customer_not_found: a relationship is only with a customer the acting partner sees
-- (SPEC 7.1); the platform links only a customer that exists. Audited without the
-- hidden customer; the platform's refusal under no partner.
BEGIN;
SELECT plan(25);

SELECT test.act_as_new_partner('owner') AS owner \gset
SELECT test.new_customer(false) AS hidden \gset
SELECT test.act_as_new_partner('stranger') AS partner \gset

SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', op, :'hidden', 'office365'), 'customer_not_found',
                       jsonb_build_object('operation', op || '_relationship', 'entity', 'relationships',
                                          'partner_id', :'partner', 'customer_id', NULL),
                       op || ' for another partner''s customer')
FROM unnest(ARRAY['request', 'accept', 'remove']) op;
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', 'request', gen_random_uuid(), 'office365'),
                       'customer_not_found',
                       jsonb_build_object('operation', 'request_relationship', 'partner_id', :'partner', 'customer_id', NULL),
                       'request for an unknown tenant');
SELECT is(api.relationship_change('request', :'hidden', 'office365') -> 'errors' -> 0 ->> 'description',
          format('Customer %s does not exist.', :'hidden'), 'the same sentence as for an unknown tenant');

SELECT test.act_as('');
SELECT test.is_refused(format('api.customer_link(%L, %L)', '00000000-0000-0000-0000-000000000000', :'partner'),
                       'customer_not_found',
                       jsonb_build_object('operation', 'link_customer', 'entity', 'partner_customers', 'entity_id', :'partner',
                                          'partner_id', NULL, 'customer_id', NULL),
                       'customer link of an unknown customer (the platform: under no partner)');
SELECT test.act_as(:'partner');
SELECT test.is_refused(format('api.customer_link(%L, %L)', '00000000-0000-0000-0000-000000000000', :'partner'),
                       'customer_not_found', jsonb_build_object('operation', 'link_customer', 'partner_id', NULL),
                       'the same with an acting partner set: still under no partner');

SELECT * FROM finish();
ROLLBACK;
