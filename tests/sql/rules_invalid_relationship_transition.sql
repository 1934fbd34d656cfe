-- invalid_relationship_transition: only a requested relationship may be accepted.
BEGIN;
SELECT plan(10);

SELECT test.act_as_new_partner('transition') AS partner \gset
SELECT test.new_customer(false) AS customer \gset

SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', 'accept', :'customer', 'office365'),
                       'invalid_relationship_transition',
                       jsonb_build_object('operation', 'accept_relationship', 'entity', 'relationships',
                                          'partner_id', :'partner', 'customer_id', :'customer'),
                       'accept without a request');
SELECT is(api.relationship_change('accept', :'customer', 'office365') -> 'errors' -> 0,
          jsonb_build_object('code', 'invalid_relationship_transition', 'details', '{}'::jsonb,
            'description', 'There is no requested relationship to accept.',
            'next_step', format('see the relationship: subctl relationship list --customer %s; a new one starts with subctl relationship request %s --service office365',
                                :'customer', :'customer')),
          'the refusal says why and what to do, with this customer''s commands');
SELECT api.relationship_change('request', :'customer', 'office365') \g /dev/null
SELECT api.relationship_change('accept', :'customer', 'office365') \g /dev/null
SELECT test.is_refused(format('api.relationship_change(%L, %L, %L)', 'accept', :'customer', 'office365'),
                       'invalid_relationship_transition',
                       jsonb_build_object('operation', 'accept_relationship', 'partner_id', :'partner', 'customer_id', :'customer'),
                       'accept of an active relationship');
SELECT is(api.relationship_change('accept', :'customer', 'office365', p_dry_run => true) ->> 'status', 'dry_run',
          'a refused dry run: status dry_run, with the errors');

SELECT * FROM finish();
ROLLBACK;
