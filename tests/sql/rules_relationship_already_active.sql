-- relationship_already_active: at most one active delegated-admin partner per customer
-- and service; another partner's acceptance is refused without naming that partner.
BEGIN;
SELECT plan(12);

SELECT test.act_as_new_partner('active') AS first_partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.act_as_new_partner('second') AS second_partner \gset
SELECT test.link(:'customer', :'second_partner');
SELECT is(api.relationship_change('request', :'customer', 'office365') ->> 'status', 'succeeded', 'the second partner requests');
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', 'accept', :'customer', 'office365'),
                       'relationship_already_active',
                       jsonb_build_object('operation', 'accept_relationship', 'entity', 'relationships',
                                          'partner_id', :'second_partner', 'customer_id', :'customer'),
                       'accept while another partner is active');
SELECT ok(strpos(api.relationship_change('accept', :'customer', 'office365')::text, :'first_partner') = 0,
          'the refusal does not name the active partner');


-- An active relationship whose expiry passed counts no more; a refusal leaves it as it is
-- (only a change marks it expired).
UPDATE core.relationships SET activated_at = now() - interval '2 years', expires_at = now() - interval '1 day'
WHERE customer_id = :'customer' AND partner_id = :'first_partner';
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', 'request', :'customer', 'office365'),
                       'relationship_exists',
                       jsonb_build_object('operation', 'request_relationship', 'partner_id', :'second_partner'),
                       'a refusal while the other partner''s relationship has expired');
SELECT is(api.relationship_change('accept', :'customer', 'office365') ->> 'relationship_status', 'active',
          'then the second partner''s accept goes through');
SELECT is((SELECT status FROM core.relationships WHERE customer_id = :'customer' AND partner_id = :'first_partner'),
          'expired', 'and marks the first one expired');

SELECT * FROM finish();
ROLLBACK;
