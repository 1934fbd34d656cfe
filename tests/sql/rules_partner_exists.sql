-- partner_exists: a partner id is added once; the refusal is the platform's, audited
-- under no partner.
BEGIN;
SELECT plan(6);

SELECT test.act_as_new_partner('exists') AS partner \gset
SELECT test.is_refused(format('api.partner_add(%L, %L)', :'partner', 'Someone else'), 'partner_exists',
                       jsonb_build_object('operation', 'add_partner', 'entity', 'partners', 'entity_id', :'partner',
                                          'partner_id', NULL, 'customer_id', NULL, 'changes',
                                          jsonb_build_object('requested', jsonb_build_object('id', :'partner', 'name', 'Someone else'))),
                       'partner add of an id that exists');
SELECT is(api.partner_add(:'partner', 'Someone else') -> 'errors' -> 0 ->> 'description',
          format('Partner %s already exists.', :'partner'), 'the refusal names the partner');
SELECT is((SELECT name FROM core.partners WHERE id = :'partner'), 'Partner ' || :'partner', 'its name is unchanged');

SELECT * FROM finish();
ROLLBACK;
