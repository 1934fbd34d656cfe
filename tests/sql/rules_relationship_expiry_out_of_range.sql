-- relationship_expiry_out_of_range: a relationship expires in the future and at most two
-- years after activation, checked when requested (an expiry given then) and when
-- accepted; anything else is refused with the allowed range and stores nothing.
BEGIN;
SELECT plan(13);

SELECT test.act_as_new_partner('expiry') AS partner \gset
SELECT test.new_customer(false) AS customer \gset

CREATE FUNCTION pg_temp.relationships() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM core.relationships WHERE customer_id = current_setting('test.customer')::uuid
$$;
SELECT set_config('test.customer', :'customer', true) \g /dev/null

SELECT throws_ok(format('SELECT api.relationship_change(%L, %L, %L, %L)', op, :'customer', 'office365', e),
                 'SU033', NULL, format('%s --expires %s: relationship_expiry_out_of_range', op, e))
FROM (VALUES ('request')) o (op),
     unnest(ARRAY['infinity', '-infinity', '2001-01-01', (now() + interval '10 years')::text]) e;
SELECT is(pg_temp.relationships(), 0::bigint, 'nothing was stored');
SELECT throws_like(format('SELECT api.relationship_change(%L, %L, %L, %L)', 'request', :'customer', 'office365', 'infinity'),
                   '--expires infinity is outside the allowed range: after % and at most two years after activation (% when activated now)',
                   'the refusal names the value and the allowed range');

SELECT is(api.relationship_change('request', :'customer', 'office365', now() + interval '1 year') ->> 'status', 'succeeded',
          'a year from now is allowed');
SELECT throws_ok(format('SELECT api.relationship_change(%L, %L, %L, %L)', 'accept', :'customer', 'office365', e),
                 'SU033', NULL, format('accept --expires %s: relationship_expiry_out_of_range', e))
FROM unnest(ARRAY['infinity', '2001-01-01', (now() + interval '2 years 1 day')::text]) e;
SELECT is(api.relationship_change('accept', :'customer', 'office365') ->> 'relationship_status', 'active',
          'accepted with the expiry given at the request');
SELECT ok((SELECT expires_at FROM core.relationships WHERE customer_id = :'customer' AND status = 'active')
          BETWEEN now() + interval '1 year' - interval '1 minute' AND now() + interval '1 year' + interval '1 minute',
          'that expiry is kept');
SELECT is(pg_temp.relationships(), 1::bigint, 'one relationship, nothing else stored');

SELECT * FROM finish();
ROLLBACK;
