-- relationship_exists: the acting partner already has an open (requested or active)
-- relationship with the customer for the service: a second request is refused, coded
-- and audited, and a request id remembers the refusal.
BEGIN;
SELECT plan(12);

SELECT test.act_as_new_partner('exists') AS partner \gset
SELECT test.new_customer(false) AS customer \gset

SELECT is(api.relationship_change('request', :'customer', 'office365') ->> 'status', 'succeeded', 'a first request');
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', 'request', :'customer', 'office365'), 'relationship_exists',
                       jsonb_build_object('operation', 'request_relationship', 'entity', 'relationships', 'entity_id', NULL,
                                          'partner_id', :'partner', 'customer_id', :'customer', 'source', 'sql'),
                       'a second request while the first is requested');
SELECT is(api.relationship_change('accept', :'customer', 'office365') ->> 'status', 'succeeded', 'accepted');
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L, p_request_id => %L)', 'request', :'customer', 'office365', 'again-1'),
                       'relationship_exists',
                       jsonb_build_object('operation', 'request_relationship', 'partner_id', :'partner',
                                          'customer_id', :'customer', 'request_id', 'again-1'),
                       'a request while it is active, with a request id');
SELECT is(api.relationship_change('request', :'customer', 'office365', p_request_id => 'again-1') -> 'errors' -> 0 ->> 'description',
          format('Relationship %s is already active.',
                 (SELECT id FROM core.relationships WHERE customer_id = :'customer' AND status = 'active')),
          'the request id replays the refusal, which names the relationship and its status');
SELECT is((SELECT result ->> 'status' FROM core.request_ids WHERE partner_id = :'partner' AND request_id = 'again-1'),
          'rejected', 'the refusal is remembered with its request id');

SELECT * FROM finish();
ROLLBACK;
