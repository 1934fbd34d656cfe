-- SUBSCRIPTION as an operator gives it (SPEC 7.2): the id, or a unique prefix of at
-- least 8 hex digits, with or without the hyphens of the canonical form, read as a range
-- of the primary key; only the partner's own subscriptions count.
BEGIN;
SELECT plan(13);

CREATE TEMP TABLE fx (a text, b text, a_customer uuid, b_customer uuid);
INSERT INTO fx (b) SELECT test.act_as_new_partner('rs-b');
UPDATE fx SET b_customer = test.new_customer();
UPDATE fx SET a = test.act_as_new_partner('rs-a');
UPDATE fx SET a_customer = test.new_customer();
-- ids chosen to share prefixes: A's 1234abcd-0000-... and 1234abcd-0001-... (ambiguous at
-- 8 digits), A's 5678ef01-... alone, and B's 5678ef01-9... (hidden from A)
CREATE FUNCTION pg_temp.sub(p_id uuid, p_customer uuid, p_partner text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO core.subscriptions (id, customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                    recorded_by_partner_id)
    VALUES (p_id, p_customer, 'o365-business', 5, 'monthly', 'active', 'csp', p_partner, p_partner)
$$;
SELECT pg_temp.sub('1234abcd-0000-4000-8000-000000000001', a_customer, a),
       pg_temp.sub('1234abcd-0001-4000-8000-000000000002', a_customer, a),
       pg_temp.sub('5678ef01-0000-4000-8000-000000000003', a_customer, a),
       pg_temp.sub('5678ef01-9000-4000-8000-000000000004', b_customer, b) FROM fx;

SELECT is(logic.resolve_subscription(a, '1234abcd-0000-4000-8000-000000000001'),
          '1234abcd-0000-4000-8000-000000000001'::uuid, 'the full id') FROM fx;
SELECT is(logic.resolve_subscription(a, '1234ABCD00004000'), '1234abcd-0000-4000-8000-000000000001'::uuid,
          'a unique prefix without hyphens, any case') FROM fx;
SELECT is(logic.resolve_subscription(a, '1234abcd-0001'), '1234abcd-0001-4000-8000-000000000002'::uuid,
          'a unique prefix with the canonical hyphen') FROM fx;
SELECT is(logic.resolve_subscription(a, '5678ef01'), '5678ef01-0000-4000-8000-000000000003'::uuid,
          '8 digits, unique among the partner''s own (another partner''s sharing them does not count)') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '1234abcd'), 'SU038',
                 '"1234abcd" is the start of 2 subscription ids: 1234abcd-0000-4000-8000-000000000001 (o365-business), '
                 || '1234abcd-0001-4000-8000-000000000002 (o365-business)',
                 'a prefix of two: subscription_ambiguous listing both') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '5678ef01-9'), 'SU001', NULL,
                 'a prefix only another partner''s subscription has: subscription_not_found') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '5678ef01-9000-4000-8000-000000000004'), 'SU001',
                 'subscription 5678ef01-9000-4000-8000-000000000004 does not exist',
                 'another partner''s full id: subscription_not_found') FROM fx;
SELECT is(logic.resolve_subscription(b, '5678ef01'), '5678ef01-9000-4000-8000-000000000004'::uuid,
          'for B the same 8 digits name B''s own') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '1234abc'), 'SU041',
                 'SUBSCRIPTION "1234abc" is too short: give at least 8 characters of the id', '7 digits: too short') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '1234abcg'), 'SU041', NULL,
                 'not hexadecimal') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '1234-abcd0000'), 'SU041', NULL,
                 'a hyphen where the canonical form has none') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_subscription(%L, %L)', a, '00000000'), 'SU001', NULL,
                 'a prefix nobody has: subscription_not_found') FROM fx;

-- A range read of the primary key (planned without sequential scans: the table is small).
SET LOCAL enable_seqscan = off;
CREATE FUNCTION pg_temp.plan_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text; l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN ' || p_query LOOP v := concat_ws(E'\n', v, l); END LOOP;
    RETURN v;
END $$;
SELECT matches(pg_temp.plan_of($$SELECT s.id FROM core.subscriptions s
    WHERE s.id BETWEEN '1234abcd-0000-0000-0000-000000000000' AND '1234abcd-ffff-ffff-ffff-ffffffffffff'$$),
    '(Index (Only )?Scan using|Bitmap Index Scan on) subscriptions_pkey', 'the prefix is a range read of the primary key');
RESET enable_seqscan;

SELECT * FROM finish();
ROLLBACK;
