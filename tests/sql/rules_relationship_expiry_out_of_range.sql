-- relationship_expiry_out_of_range: a relationship expires in the future and at most two
-- years after activation, checked when requested (an expiry given then) and when
-- accepted; anything else is refused (coded, audited) with the allowed range and stores
-- nothing.
BEGIN;
SELECT plan(35);

SELECT test.act_as_new_partner('expiry') AS partner \gset
SELECT test.new_customer(false) AS customer \gset

SELECT test.is_refused(format('api.relationship_change(%L, %L, %L, %L)', 'request', :'customer', 'office365', e),
                       'relationship_expiry_out_of_range',
                       jsonb_build_object('operation', 'request_relationship', 'entity', 'relationships',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       format('request --expires %s', e))
FROM unnest(ARRAY['infinity', '-infinity', '2001-01-01', (now() + interval '10 years')::text]) e;
SELECT matches(api.relationship_change('request', :'customer', 'office365', 'infinity') -> 'errors' -> 0 ->> 'description',
               '^--expires infinity is outside the allowed range: after .* and at most two years after activation \(.* when activated now\)\.$',
               'the refusal names the value and the allowed range');
SELECT is(api.relationship_change('request', :'customer', 'office365', 'infinity') -> 'errors' -> 0 ->> 'next_step',
          'give --expires after now and at most two years after activation, or none for the longest', 'and says what to give');
SELECT ok(NOT (api.relationship_change('request', :'customer', 'office365', 'infinity') -> 'errors' -> 0) ?| ARRAY['message', 'hint'],
          'an error object is {code, description, details, next_step}: no message, no hint');

SELECT is(api.relationship_change('request', :'customer', 'office365', now() + interval '1 year') ->> 'status', 'succeeded',
          'a year from now is allowed');
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L, %L)', 'accept', :'customer', 'office365', e),
                       'relationship_expiry_out_of_range',
                       jsonb_build_object('operation', 'accept_relationship', 'partner_id', :'partner', 'customer_id', :'customer'),
                       format('accept --expires %s', e))
FROM unnest(ARRAY['infinity', '2001-01-01', (now() + interval '2 years 1 day')::text]) e;
SELECT is(api.relationship_change('accept', :'customer', 'office365') ->> 'relationship_status', 'active',
          'accepted with the expiry given at the request');
SELECT ok((SELECT expires_at FROM core.relationships WHERE customer_id = :'customer' AND status = 'active')
          BETWEEN now() + interval '1 year' - interval '1 minute' AND now() + interval '1 year' + interval '1 minute',
          'that expiry is kept');
SELECT is((SELECT count(*) FROM core.relationships WHERE customer_id = :'customer'), 1::bigint,
          'one relationship, nothing else stored');

SELECT * FROM finish();
ROLLBACK;
