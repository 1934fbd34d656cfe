-- Batch files with the optional columns user and into (SPEC 7.3): header
-- action,subscription_id,target_offer,quantity,request_id[,user][,into], older files of
-- five columns unchanged; assign_license / unassign_license rows go through the operation
-- of `license assign|unassign`, upgrade rows with into through the upgrade's own path;
-- every bad value named by line, column and value, nothing applied.
BEGIN;
SELECT plan(24);

CREATE FUNCTION pg_temp.errors(p_result jsonb)
RETURNS TABLE (line bigint, column_name text, value text, message text) LANGUAGE sql AS $$
    SELECT (e ->> 'line')::bigint, e ->> 'column', e ->> 'value', e ->> 'message' FROM jsonb_array_elements(p_result -> 'errors') e
$$;

SELECT test.act_as_new_partner('batch') AS partner \gset
SELECT test.new_customer() AS customer_a, test.new_customer() AS customer_b \gset
SELECT test.new_subscription(:'customer_a', 'o365-business', 10) AS a_business,
       test.new_subscription(:'customer_a', 'o365-business-premium', 5) AS a_premium,
       test.new_subscription(:'customer_b', 'o365-business-essentials', 4) AS b_essentials,
       test.new_subscription(:'customer_b', 'o365-e3', 2) AS b_e3 \gset
SELECT api.user_add(:'customer_a', 'anna@contoso.partner.onmschina.cn') ->> 'id' AS anna,
       api.user_add(:'customer_a', 'ben@contoso.partner.onmschina.cn') ->> 'id' AS ben,
       api.user_add(:'customer_b', 'cleo@fabrikam.partner.onmschina.cn') ->> 'id' AS cleo \gset

-- ------------------------------------------------------------ headers
SELECT is(ARRAY(SELECT test.register_batch(h || E'\n') ->> 'status'
                FROM unnest(ARRAY['action,subscription_id,target_offer,quantity,request_id',
                                  'action,subscription_id,target_offer,quantity,request_id,user',
                                  'action,subscription_id,target_offer,quantity,request_id,into',
                                  'action,subscription_id,target_offer,quantity,request_id,user,into']) WITH ORDINALITY AS x (h, n)
                ORDER BY n),
          ARRAY['registered', 'registered', 'registered', 'registered'], 'the five columns, then user and into, each optional');
SELECT is(ARRAY(SELECT test.register_batch(h || E'\n') -> 'errors' -> 0 ->> 'message'
                FROM unnest(ARRAY['action,subscription_id,target_offer,quantity,request_id,into,user',
                                  'action,subscription_id,target_offer,quantity,request_id,user,user',
                                  'action,subscription_id,target_offer,quantity,request_id,comment']) WITH ORDINALITY AS x (h, n)
                ORDER BY n),
          array_fill('the header must be action,subscription_id,target_offer,quantity,request_id, optionally followed by ,user and ,into (in that order)'::text,
                     ARRAY[3]),
          'another order, a column twice, an unknown column: the header is wrong, and the error says what it may be');

-- ------------------------------------------------------------ validation: all errors, nothing written
SELECT format(E'action,subscription_id,target_offer,quantity,request_id,user,into\n'
              'assign_license,%1$s,,,,,\n'
              'assign_license,%1$s,,2,,anna@contoso.partner.onmschina.cn,\n'
              'suspend,%1$s,,,,anna@contoso.partner.onmschina.cn,\n'
              'unassign_license,%1$s,,,,anna at contoso,\n'
              'upgrade,%1$s,,,,,\n'
              'upgrade,%1$s,,,,,not-a-uuid\n'
              'cancel,%1$s,,,,,%2$s\n'
              'assign_license,%1$s,o365-e3,,,%3$s,\n'
              'upgrade,%1$s,,,\n', :'a_business', :'a_premium', :'anna') AS bad_file \gset
SELECT test.register_batch(:'bad_file') AS bad \gset
SELECT is(:'bad'::jsonb ->> 'status', 'invalid', 'a malformed file is refused whole');
SELECT bag_eq(format('SELECT line, column_name, value FROM pg_temp.errors(%L)', :'bad'),
              format($$VALUES (2::bigint, 'user', ''), (3, 'quantity', '2'), (4, 'user', 'anna@contoso.partner.onmschina.cn'),
                              (5, 'user', 'anna at contoso'), (6, 'target_offer', ''), (7, 'into', 'not-a-uuid'),
                              (8, 'into', %L), (9, 'target_offer', 'o365-e3'),
                              (10, NULL, 'upgrade,%s,,,')$$, :'a_premium', :'a_business'),
              'each error names its line, column and value: user missing, not allowed, malformed; into malformed, not allowed; a short line');
SELECT is((SELECT message FROM pg_temp.errors(:'bad') WHERE line = 10),
          'expected 7 columns (action,subscription_id,target_offer,quantity,request_id,user,into), found 5',
          'a line has the columns of the header');
SELECT is((SELECT message FROM pg_temp.errors(:'bad') WHERE line = 6),
          'required for upgrade (unless into names the subscription upgraded into)', 'an upgrade needs a target offer or into');
SELECT is(test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\nassign_license,%s,,,\n', :'a_business'))
              -> 'errors' -> 0 ->> 'message',
          'assign_license needs the column user: add it to the header (action,subscription_id,target_offer,quantity,request_id,user)',
          'a license row in a file without the column user');
SELECT is_empty(format('SELECT 1 FROM core.batches WHERE partner_id = %L AND rows_total > 0', :'partner'),
                'an invalid file registers nothing');

-- ------------------------------------------------------------ applied
SELECT format(E'action,subscription_id,target_offer,quantity,request_id,user,into\n'
              'assign_license,%1$s,,,,anna@contoso.partner.onmschina.cn,\n'
              'assign_license,%1$s,,,lic-ben,%5$s,\n'
              'upgrade,%1$s,,3,up-a,,%2$s\n'
              'assign_license,%3$s,,,,cleo@fabrikam.partner.onmschina.cn,\n'
              'unassign_license,%3$s,,,,CLEO@fabrikam.partner.onmschina.cn,\n'
              'assign_license,%3$s,,,,nobody@fabrikam.partner.onmschina.cn,\n'
              'upgrade,%3$s,o365-e3,,,,%4$s\n',
              :'a_business', :'a_premium', :'b_essentials', :'b_e3', :'ben') AS good_file \gset
SAVEPOINT dry_run;
SELECT test.register_batch(:'good_file') AS dry \gset
SELECT api.batch_apply_chunk(:'dry'::jsonb ->> 'batch_id', 2, 8, true) AS ignored \gset
SELECT is(ARRAY(SELECT status || ' ' || error_codes::text FROM core.batch_rows WHERE batch_id = :'dry'::jsonb ->> 'batch_id' ORDER BY line),
          ARRAY['dry_run {}', 'dry_run {}', 'dry_run {}', 'dry_run {}', 'dry_run {}', 'rejected {user_not_found}', 'dry_run {}'],
          'a dry run evaluates every row in file order');
SELECT is((SELECT count(*) FROM core.license_assignments WHERE customer_id IN (:'customer_a', :'customer_b')), 0::bigint,
          'and assigns nothing');
SELECT is((SELECT quantity FROM core.subscriptions WHERE id = :'a_premium'), 5, 'nor grows a subscription');
ROLLBACK TO SAVEPOINT dry_run;

-- One wave, two customers: A's Business into B's E3 (refused), and B's Essentials to a
-- new E3: B's E3 still owns the offer and holds office-proplus for B (only a source's own
-- customer is spared).
SELECT format(E'action,subscription_id,target_offer,quantity,request_id,user,into\n'
              'upgrade,%1$s,,,,,%2$s\n'
              'upgrade,%3$s,o365-e3,,,,\n', :'a_business', :'b_e3', :'b_essentials') AS wave_file \gset
SELECT test.register_batch(:'wave_file') AS wave \gset
SELECT api.batch_apply_chunk(:'wave'::jsonb ->> 'batch_id', 2, 3, true) AS ignored \gset
SELECT is(ARRAY(SELECT error_codes::text FROM core.batch_rows WHERE batch_id = :'wave'::jsonb ->> 'batch_id' ORDER BY line),
          ARRAY['{into_subscription_other_customer,conflicting_service_types}',
                '{conflicting_service_types,target_offer_already_owned}'],
          'a subscription upgraded into spares only its own customer''s rules');
ROLLBACK TO SAVEPOINT dry_run;

SELECT test.register_batch(:'good_file') AS run \gset
SELECT is(ARRAY(SELECT ARRAY[license_user, into_subscription_id::text] FROM core.batch_rows
                WHERE batch_id = :'run'::jsonb ->> 'batch_id' AND line IN (3, 4) ORDER BY line),
          ARRAY[ARRAY[:'ben', NULL], ARRAY[NULL, :'a_premium']], 'the rows keep the user and into as the file names them');
SELECT api.batch_apply_chunk(:'run'::jsonb ->> 'batch_id', 2, 8) AS counts \gset
SELECT is(ARRAY(SELECT status || ' ' || error_codes::text FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id' ORDER BY line),
          ARRAY['applied {}', 'applied {}', 'applied {}', 'applied {}', 'applied {}', 'rejected {user_not_found}', 'applied {}'],
          'every row has its outcome');
SELECT is(ARRAY(SELECT u.upn FROM core.license_assignments a JOIN core.users u ON u.id = a.user_id
                WHERE a.subscription_id = :'a_premium' ORDER BY u.upn),
          ARRAY['anna@contoso.partner.onmschina.cn', 'ben@contoso.partner.onmschina.cn'],
          'Anna and Ben got licenses of Business (by name and by id), which moved with the upgrade into Premium');
SELECT is((SELECT ARRAY[quantity::text, (SELECT upgraded_to_subscription_id::text FROM core.subscriptions WHERE id = :'a_business')]
           FROM core.subscriptions WHERE id = :'a_premium'),
          ARRAY['8', :'a_premium'], 'Premium grew by the 3 licenses of the row; Business points to it');
SELECT is((SELECT new_subscription_id FROM core.batch_rows WHERE batch_id = :'run'::jsonb ->> 'batch_id' AND line = 4),
          :'a_premium'::uuid, 'the upgrade row records the subscription it went into');
SELECT is((SELECT quantity FROM core.subscriptions WHERE id = :'b_e3'), 6, 'E3 grew by the source''s 4 licenses (no quantity given)');
SELECT is((SELECT count(*) FROM core.license_assignments WHERE customer_id = :'customer_b'), 0::bigint,
          'Cleo''s license was assigned, then unassigned (any case of her name)');
SELECT is((SELECT array_agg(DISTINCT request_id ORDER BY request_id) FROM core.audit_events
           WHERE batch_id = :'run'::jsonb ->> 'batch_id' AND entity = 'subscriptions' AND entity_id IN (:'a_business', :'a_premium')),
          ARRAY['up-a'], 'the upgrade''s audit events, of its source and of its target, carry the row''s request id');
SELECT is((SELECT count(*) FROM core.audit_events WHERE batch_id = :'run'::jsonb ->> 'batch_id' AND operation = 'assign_license'
             AND outcome = 'rejected' AND error_codes = '{user_not_found}' AND subscription_id = :'b_essentials'), 1::bigint,
          'the refused row is audited');
-- A request id given in a file and on the command line names the same request.
SELECT is(api.license_change('assign', :'a_business', ARRAY[:'ben'], p_request_id => 'lic-ben') ->> 'status', 'succeeded',
          'the license row''s request id replays through license assign with the same user');
SELECT is(test.codes(api.upgrade(:'a_business', NULL, 3, p_request_id => 'up-a', p_into_subscription_id => :'a_premium')), '{}',
          'and the upgrade row''s through upgrade --into');
SELECT is(test.register_batch(:'good_file') ->> 'first_pending_line', NULL, 'a re-run has nothing left to apply');

SELECT * FROM finish();
ROLLBACK;
