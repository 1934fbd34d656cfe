-- The operator's flow at the API (SPEC 7.2): the resolvers as the command line calls them
-- (a full id passed on, NULL kept, the platform's view), --comment kept in the audit
-- events (and its rule), and every operation's result naming its request id.
BEGIN;
SELECT plan(24);

CREATE TEMP TABLE fx (a text, b text, a_customer uuid, b_customer uuid, a_sub uuid, b_sub uuid, result jsonb,
                      events bigint);
INSERT INTO fx (b) SELECT test.act_as_new_partner('flow-b');
UPDATE fx SET b_customer = (api.customer_add('Flowtest Borealis') ->> 'id')::uuid;
UPDATE fx SET b_sub = test.new_subscription(b_customer, 'o365-business');
UPDATE fx SET a = test.act_as_new_partner('flow-a');
UPDATE fx SET a_customer = (api.customer_add('Flowtest Aurora', p_domain => 'flowtest-aurora.partner.onmschina.cn') ->> 'id')::uuid;
SELECT test.new_relationship(a_customer) FROM fx;
UPDATE fx SET a_sub = test.new_subscription(a_customer, 'o365-business');

-- the resolvers
SELECT is(api.customer_resolve(NULL), NULL, 'an optional CUSTOMER not given stays NULL');
SELECT is(api.subscription_resolve(NULL), NULL, 'an optional SUBSCRIPTION not given stays NULL');
SELECT is(api.customer_resolve('flowtest-aurora.partner.onmschina.cn'), a_customer, 'a customer by domain') FROM fx;
SELECT is(api.customer_resolve('aurora'), a_customer, 'a customer by a part of its name') FROM fx;
SELECT is(api.subscription_resolve(left(a_sub::text, 8)), a_sub, 'a subscription by 8 characters of its id') FROM fx;
SELECT is(api.customer_resolve(b_customer::text), b_customer,
          'another partner''s full id is passed on as it is: the operation answers for it') FROM fx;
SELECT is(test.codes(api.subscription_change('suspend', api.subscription_resolve(b_sub::text))), '{subscription_not_found}',
          'and refuses it as for any unknown id (a coded, audited result)') FROM fx;
SELECT throws_ok('SELECT api.customer_resolve(''borealis'')', 'SU003', NULL,
                 'another partner''s customer by name: not found') FROM fx;
SELECT throws_ok('SELECT api.subscription_resolve(''1234abc'')', 'SU041',
                 'SUBSCRIPTION "1234abc" is too short: give at least 8 characters of the id', 'a prefix under 8 characters');
-- the platform: the schema owner acting for no partner names any customer
SELECT set_config('subctl.partner_id', '', true);
SELECT is(api.customer_resolve('borealis'), b_customer, 'the platform resolves any partner''s customer by name') FROM fx;
SELECT set_config('subctl.partner_id', a, true) FROM fx;

-- --comment: kept in the audit events of a change and of a refusal; not part of the request
UPDATE fx SET events = (SELECT max(id) FROM core.audit_events);
UPDATE fx SET result = api.licenses_change('add', a_sub, 2, 'flow-lic-1', p_comment => 'ticket 4711: more staff');
SELECT is(result ->> 'request_id', 'flow-lic-1', 'the result names its request id') FROM fx;
SELECT is(result ->> 'subscription_status', 'active', 'and the subscription''s state as subscription_status') FROM fx;
SELECT is(ARRAY(SELECT DISTINCT comment FROM core.audit_events WHERE id > events), '{"ticket 4711: more staff"}',
          'the comment is in the change''s audit event') FROM fx;
SELECT is(api.licenses_change('add', a_sub, 2, 'flow-lic-1', p_comment => 'another reason'), result,
          'a replay with another comment is the same request: its first result') FROM fx;
SELECT is(test.codes(api.upgrade(a_sub, 'o365-e5', p_comment => 'wrong target')), '{subscription_target_offer_not_found}',
          'a refused upgrade') FROM fx;
SELECT is((SELECT comment FROM core.audit_events WHERE id = (SELECT max(id) FROM core.audit_events)), 'wrong target',
          'its rejection event keeps the comment');
SELECT is(api.upgrade(a_sub, 'o365-e3', p_request_id => 'flow-dry', p_dry_run => true, p_comment => 'try') ->> 'request_id',
          'flow-dry', 'a dry run names its request id') FROM fx;
SELECT set_config('subctl.partner_id', '', true);
SELECT is(api.customer_link(b_customer, a, 'reseller invitation accepted, ticket 12') ->> 'status', 'succeeded',
          'a platform administration takes a comment') FROM fx;
SELECT is((SELECT comment FROM core.audit_events WHERE operation = 'link_customer' AND partner_id IS NULL
           AND entity_id = (SELECT a FROM fx) ORDER BY id DESC LIMIT 1),
          'reseller invitation accepted, ticket 12', 'kept in its audit event');
SELECT set_config('subctl.partner_id', a, true) FROM fx;
SELECT throws_ok(format('SELECT api.licenses_change(%L, %L, 1, p_comment => %L)', 'add', a_sub, ' '), 'SU041',
                 'the comment is empty', 'a blank comment is refused') FROM fx;
SELECT throws_ok(format('SELECT api.licenses_change(%L, %L, 1, p_comment => %L)', 'add', a_sub, E'two\nlines'), 'SU041',
                 'the comment holds a control character (a line break?): it is one line', 'a comment is one line') FROM fx;
SELECT throws_ok(format('SELECT api.licenses_change(%L, %L, 1, p_comment => %L)', 'add', a_sub, U&'two\2028lines'), 'SU041',
                 'the comment holds a control character (a line break?): it is one line',
                 'a Unicode line separator is a line break too') FROM fx;
SELECT throws_ok(format('SELECT api.licenses_change(%L, %L, 1, p_comment => %L)', 'add', a_sub, U&'ok \202Eevil'), 'SU041',
                 'the comment holds the invisible formatting character U+202E (Unicode category Cf)',
                 'an invisible formatting character (a bidirectional override) is refused') FROM fx;
SELECT throws_ok(format('SELECT api.licenses_change(%L, %L, 1, p_comment => %L)', 'add', a_sub,
                        repeat('x', logic.comment_max_length() + 1)), 'SU041',
                 format('the comment has %s characters, more than %s', logic.comment_max_length() + 1, logic.comment_max_length()),
                 'a comment longer than the limit is refused') FROM fx;

SELECT * FROM finish();
ROLLBACK;
