-- Visibility (SPEC 7.1): a partner sees and affects only the customers it added or that
-- the platform linked to it. For any other customer, every way in answers
-- customer_not_found / subscription_not_found, stores nothing and reveals nothing;
-- a relationship request no longer reaches another partner's customer.
BEGIN;
SELECT plan(33);

-- Partner B: a customer with an active relationship, a csp and a direct subscription.
SELECT test.act_as_new_partner('vis-b') AS partner_b \gset
SELECT test.new_customer() AS customer_b \gset
SELECT test.new_subscription(:'customer_b', 'o365-business') AS sub_b,
       test.new_subscription(:'customer_b', 'o365-proplus', 5, 'direct') AS direct_b \gset
-- Partner A: a customer of its own.
SELECT test.act_as_new_partner('vis-a') AS partner_a \gset
SELECT test.new_customer() AS customer_a \gset

CREATE TEMP TABLE b_before AS
SELECT (SELECT test.customer_subscriptions(:'customer_b')) AS subscriptions,
       (SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id) FROM core.relationships r WHERE r.customer_id = :'customer_b') AS relationships,
       (SELECT count(*) FROM core.partner_customers WHERE customer_id = :'customer_b') AS links;
CREATE FUNCTION pg_temp.b_unchanged() RETURNS boolean LANGUAGE sql AS $$
    SELECT b.subscriptions = test.customer_subscriptions(c.customer_b)
           AND b.relationships IS NOT DISTINCT FROM (SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id) FROM core.relationships r
                                                     WHERE r.customer_id = c.customer_b)
           AND b.links = (SELECT count(*) FROM core.partner_customers WHERE customer_id = c.customer_b)
    FROM b_before b, (SELECT current_setting('test.customer_b')::uuid AS customer_b) c
$$;
SELECT set_config('test.customer_b', :'customer_b', true) \g /dev/null

-- ------------------------------------------------------------ relationships
SELECT is(api.relationship_change('request', :'customer_b', 'office365') -> 'errors' -> 0 ->> 'description',
          format('Customer %s does not exist.', :'customer_b'), 'relationship request for B''s customer: customer_not_found');
SELECT is(test.codes(api.relationship_change(op, :'customer_b', 'office365')), ARRAY['customer_not_found'],
          'relationship ' || op || ' for B''s customer: customer_not_found')
FROM unnest(ARRAY['accept', 'remove']) op;
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.relationships(:'customer_b'))), 0::bigint,
          'relationship list for B''s customer: nothing');
SELECT is(api.relationship_change('request', '00000000-0000-0000-0000-00000000000b', 'office365') -> 'errors' -> 0 ->> 'description',
          'Customer 00000000-0000-0000-0000-00000000000b does not exist.', 'relationship request for an unknown tenant: the same answer');

-- ------------------------------------------------------------ subscriptions
SELECT is(test.codes(api.subscription_add(:'customer_b', 'o365-e3', 1, 'monthly', c)), ARRAY['customer_not_found'],
          'subscription add in channel ' || c || ' for B''s customer: customer_not_found')
FROM unnest(ARRAY['csp', 'direct', 'other-reseller']) c;
SELECT is(test.codes(api.subscription_add(:'customer_b', 'o365-extra-file-storage', 1, 'monthly', 'csp', 'active', :'sub_b')),
          ARRAY['customer_not_found'], 'an add-on under B''s subscription: customer_not_found');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.subscriptions(:'customer_b'))), 0::bigint,
          'subscription list for B''s customer: nothing');
SELECT throws_ok(format('SELECT api.subscription(%L)', :'sub_b'), 'SU001', NULL, 'subscription show: not found');
SELECT throws_ok(format('SELECT api.subscription(%L)', :'direct_b'), 'SU001', NULL,
                 'subscription show of B''s direct subscription: not found');
SELECT is(test.codes(api.subscription_change(op, :'sub_b')), ARRAY['subscription_not_found'],
          'subscription ' || op || ' of B''s subscription: subscription_not_found')
FROM unnest(ARRAY['suspend', 'cancel']) op;
SELECT is(test.codes(api.subscription_change('cancel', :'direct_b')), ARRAY['subscription_not_found'],
          'cancel of B''s direct subscription: subscription_not_found');

-- ------------------------------------------------------------ upgrades and licenses
SELECT throws_ok(format('SELECT api.upgrades(%L)', :'sub_b'), 'SU001', NULL, 'upgrades: not found');
SELECT is(test.codes(api.upgrade(:'sub_b', 'o365-business-premium')), ARRAY['subscription_not_found'],
          'upgrade: subscription_not_found');
SELECT is(test.codes(api.upgrade(:'sub_b', 'o365-business-premium', p_dry_run => true)), ARRAY['subscription_not_found'],
          'upgrade --dry-run: subscription_not_found');
SELECT is(test.codes(api.licenses_change(op, :'sub_b', 1)), ARRAY['subscription_not_found'],
          'licenses ' || op || ': subscription_not_found')
FROM unnest(ARRAY['add', 'remove']) op;

-- ------------------------------------------------------------ customers, audit
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.customers()) c WHERE c ->> 'id' = :'customer_b'), 0::bigint,
          'customer list: B''s customer is not there');
SELECT is(api.customer_add('Mine now', :'customer_b') -> 'errors',
          '[{"code": "customer_exists",
             "description": "A customer with that id or domain already exists.", "details": {},
             "next_step": "if it is the same tenant, the platform links it to you once the customer accepts your reseller invitation (subctl customer link CUSTOMER PARTNER, run by the owner); otherwise check the id and domain"}]',
          'customer add --id of B''s tenant: customer_exists, and nothing more');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.audit_events(p_customer_id => :'customer_b'))), 0::bigint,
          'audit --customer of B''s customer: nothing');
SELECT is((SELECT count(*) FROM jsonb_array_elements(api.audit_events()) e
           WHERE e::text LIKE '%' || :'partner_b' || '%' OR e ->> 'customer_id' = :'customer_b'
              OR e ->> 'offer_id' IS NOT NULL AND e ->> 'outcome' = 'rejected'), 0::bigint,
          'A''s audit trail holds its refused requests as asked, never B, B''s customer or its subscriptions'' offers');

-- ------------------------------------------------------------ batches
SELECT test.register_batch(format(E'action,subscription_id,target_offer,quantity,request_id\n'
                                  'upgrade,%1$s,o365-business-premium,,\n'
                                  'add_licenses,%1$s,,2,\n'
                                  'suspend,%2$s,,,\n'
                                  'cancel,%2$s,,,\n', :'sub_b', :'direct_b')) AS batch \gset
SELECT api.batch_apply_chunk(:'batch'::jsonb ->> 'batch_id', 2, 5) \g /dev/null
SELECT is(ARRAY(SELECT status || ' ' || error_codes::text FROM core.batch_rows
                WHERE batch_id = :'batch'::jsonb ->> 'batch_id' ORDER BY line),
          array_fill('rejected {subscription_not_found}'::text, ARRAY[4]),
          'batch rows naming B''s subscriptions: each rejected, subscription_not_found');

-- ------------------------------------------------------------ through a reporter login of A
SELECT test.act_as('');
SELECT test.new_login('tap_vis_reporter_a', 'subctl_reporter', :'partner_a');
SET SESSION AUTHORIZATION tap_vis_reporter_a;
SELECT is((SELECT sum(test.rows_mentioning(v.oid::regclass, :'partner_b')) FROM pg_class v
           WHERE v.relnamespace = 'report'::regnamespace AND v.relkind = 'v'), 0::numeric,
          'no report view of A names partner B');
SELECT is(ARRAY(SELECT c.relname::text FROM pg_class c
                WHERE c.relnamespace = 'report'::regnamespace AND c.relkind = 'v'
                  AND CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'customer_id')
                           THEN test.rows_where_customer(c.oid::regclass, :'customer_b') > 0 ELSE false END), '{}'::text[],
          'no report view of A has a row of B''s customer');
RESET SESSION AUTHORIZATION;

SELECT ok(pg_temp.b_unchanged(), 'after all of it, B''s customer, subscriptions and relationships are unchanged');

-- ------------------------------------------------------------ the platform links the customer to A
SELECT is(api.customer_link(:'customer_b', :'partner_a') ->> 'status', 'succeeded', 'the owner links B''s customer to A');
SELECT ok(EXISTS (SELECT 1 FROM core.audit_events WHERE operation = 'link_customer' AND entity = 'partner_customers'
                  AND customer_id = :'customer_b' AND changes -> 'partner_id' ->> 1 = :'partner_a'),
          'the link is audited on the customer''s chain');
SELECT is(test.codes(api.customer_link(:'customer_b', :'partner_a')), ARRAY['customer_already_linked'],
          'linking again: customer_already_linked');
SELECT test.act_as(:'partner_a');
SELECT is(api.relationship_change('request', :'customer_b', 'office365') ->> 'status', 'succeeded',
          'once linked, A may request a relationship with the customer');
SELECT test.act_as('');
SELECT test.new_login('tap_vis_operator_a', 'subctl_operator', :'partner_a');
SET SESSION AUTHORIZATION tap_vis_operator_a;
SELECT throws_ok(format('SELECT api.customer_link(%L, %L)', :'customer_a', :'partner_b'), '42501', NULL,
                 'an operator may not link customers: the platform (schema owner) does');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
