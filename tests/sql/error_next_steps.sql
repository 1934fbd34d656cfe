-- Sentences that name what the operator has at hand: conflicting_service_types' next step
-- names each conflicting subscription and how it is cancelled (the partner's own by the
-- command with its id, the others by their seller); licenses remove/add out of range names
-- the licenses typed, not the total they would make; a dry run of a request id used before
-- says it is a replay, with the status the replay has.
BEGIN;
SELECT plan(8);

SELECT test.act_as_new_partner() AS partner \gset
SELECT test.new_customer() AS customer \gset
SELECT test.new_subscription(:'customer', 'o365-business') AS business,
       test.new_subscription(:'customer', 'o365-business-essentials', p_channel => 'direct') AS direct_essentials,
       test.new_subscription(:'customer', 'o365-proplus') AS own_proplus \gset

-- conflicting_service_types: E3 adds Exchange (the direct Essentials has it) and ProPlus (our own ProPlus)
SELECT (SELECT e FROM jsonb_array_elements(api.upgrade(:'business', 'o365-e3', p_dry_run => true) -> 'errors') e
        WHERE e ->> 'code' = 'conflicting_service_types') AS conflict \gset
SELECT is(:'conflict'::jsonb ->> 'next_step',
          format('the customer cancels subscriptions %s first: %s; then upgrade again',
                 (SELECT string_agg(x ->> 'id', ', ' ORDER BY o) FROM jsonb_array_elements(:'conflict'::jsonb -> 'details' -> 'subscriptions') WITH ORDINALITY AS y (x, o)),
                 (SELECT string_agg(CASE WHEN x ->> 'id' = :'own_proplus' THEN 'subctl subscription cancel ' || :'own_proplus'
                                         ELSE :'direct_essentials' || ' with 21Vianet (channel direct)' END, '; ' ORDER BY o)
                  FROM jsonb_array_elements(:'conflict'::jsonb -> 'details' -> 'subscriptions') WITH ORDINALITY AS y (x, o))),
          'conflicting_service_types: each subscription named, ours with the command that cancels it');
SELECT ok(strpos(:'conflict'::jsonb ->> 'next_step', 'subctl subscription cancel ' || :'own_proplus') > 0
          AND strpos(:'conflict'::jsonb ->> 'next_step', 'cancel ID') = 0, 'no placeholder ID left');

-- licenses remove / add out of range: the licenses typed
SELECT is((SELECT e ->> 'description' FROM jsonb_array_elements(api.licenses_change('remove', :'business', 10) -> 'errors') e),
          'Removing 10 licenses would leave 0, outside the range of o365-business: 1 to 300.',
          'licenses remove: names the 10 typed and the 0 left');
SELECT is((SELECT e ->> 'next_step' FROM jsonb_array_elements(api.licenses_change('remove', :'business', 10) -> 'errors') e),
          format('subscription %s has 10 licenses and o365-business needs 1 to 300: remove fewer', :'business'),
          'and what to do');
SELECT is((SELECT e ->> 'description' FROM jsonb_array_elements(api.licenses_change('add', :'business', 295) -> 'errors') e),
          'Adding 295 licenses would make 305, outside the range of o365-business: 1 to 300.',
          'licenses add: names the 295 typed and the 305 it would make');

-- a dry run of a request id used before
SELECT api.licenses_change('add', :'business', 2, 'used-before') AS first \gset
SELECT api.licenses_change('add', :'business', 2, 'used-before', p_dry_run => true) AS dry \gset
SELECT is(:'dry'::jsonb, :'first'::jsonb || '{"replayed": true}',
          'a dry run replaying a used request id: the stored result with its status, saying it is a replay');
SELECT is((SELECT quantity FROM core.subscriptions WHERE id = :'business'), 12, 'nothing applied twice');
SELECT is(api.licenses_change('add', :'business', 2, 'unused', p_dry_run => true) ->> 'status', 'dry_run',
          'a dry run of a new request id: status dry_run, no replay');

SELECT * FROM finish();
ROLLBACK;
