-- relationship_not_found: remove needs an open relationship of the acting partner.
BEGIN;
SELECT plan(7);

SELECT test.act_as_new_partner('notfound') AS partner \gset
SELECT test.new_customer(false) AS customer \gset

SELECT test.is_refused(format('api.relationship_change(%L, %L, %L, p_request_id => %L)', 'remove', :'customer', 'office365', 'rm-1'),
                       'relationship_not_found',
                       jsonb_build_object('operation', 'remove_relationship', 'entity', 'relationships',
                                          'partner_id', :'partner', 'customer_id', :'customer', 'request_id', 'rm-1'),
                       'remove without a relationship');
SELECT is(api.relationship_change('request', :'customer', 'office365') ->> 'status', 'succeeded', 'now requested');
SELECT is(test.codes(api.relationship_change('remove', :'customer', 'office365', p_request_id => 'rm-1')),
          ARRAY['relationship_not_found'], 'the request id replays the refusal');
SELECT is((SELECT status FROM core.relationships WHERE customer_id = :'customer'), 'requested',
          'and the replay removed nothing');

SELECT * FROM finish();
ROLLBACK;
