-- Finding a customer (SPEC 7.2): `customer list --search` (name or domain, any case, a
-- part of a word) and CUSTOMER given by id, primary domain, exact name or a part of a
-- name only one customer has. Only the partner's own customers are ever matched,
-- counted or listed as candidates.
BEGIN;
SELECT plan(25);

CREATE TEMP TABLE fx (a text, b text, shanghai uuid, beijing uuid, contoso uuid, fabrikam uuid, percent uuid,
                      b_secret uuid, b_northwind uuid);
INSERT INTO fx (b) SELECT test.act_as_new_partner('srch-b');
UPDATE fx SET b_secret = (api.customer_add('Contoso Secret', p_domain => 'contoso-secret.partner.onmschina.cn') ->> 'id')::uuid,
              b_northwind = (api.customer_add('Northwind Traders', p_domain => 'northwind.partner.onmschina.cn') ->> 'id')::uuid;
UPDATE fx SET a = test.act_as_new_partner('srch-a');
UPDATE fx SET shanghai = (api.customer_add('Contoso Shanghai', p_domain => 'contoso-sh.partner.onmschina.cn') ->> 'id')::uuid,
              beijing = (api.customer_add('Contoso Beijing') ->> 'id')::uuid,
              fabrikam = (api.customer_add('Fabrikam', p_domain => 'fabrikam-cn.partner.onmschina.cn') ->> 'id')::uuid,
              percent = (api.customer_add('100% Tea_House') ->> 'id')::uuid;

CREATE FUNCTION pg_temp.names(p jsonb) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(x ->> 'name' ORDER BY x ->> 'name'), '{}') FROM jsonb_array_elements(p) x
$$;

SELECT is(jsonb_array_length(api.customers()), 4, 'the old call: every customer of the partner');
SELECT is(pg_temp.names(api.customers('contoso')), '{"Contoso Beijing","Contoso Shanghai"}',
          'a part of a name: the partner''s matches only, never another partner''s Contoso Secret');
SELECT is(pg_temp.names(api.customers('SHANG')), '{"Contoso Shanghai"}', 'any case, a part of a word');
SELECT is(pg_temp.names(api.customers('fabrikam-cn.partner')), '{Fabrikam}', 'a part of the domain');
SELECT is(pg_temp.names(api.customers('northwind')), '{}', 'another partner''s customer is not found');
SELECT is(pg_temp.names(api.customers('0% T')), '{"100% Tea_House"}', 'a % in the text is a literal %');
SELECT is(pg_temp.names(api.customers('te_')), '{}', 'an _ in the text is a literal _, not any character (Tea does not match)');
SELECT is(pg_temp.names(api.customers('%')), '{"100% Tea_House"}', 'a lone % matches only names holding one');

SELECT is(logic.resolve_customer(a, shanghai::text), shanghai, 'by id') FROM fx;
SELECT is(logic.resolve_customer(a, 'Contoso-SH.partner.onmschina.cn'), shanghai, 'by primary domain, any case') FROM fx;
SELECT is(logic.resolve_customer(a, ' contoso shanghai '), shanghai, 'by exact name, any case, trimmed') FROM fx;
SELECT is(logic.resolve_customer(a, 'beij'), beijing, 'by a part of a name only one customer has') FROM fx;
UPDATE fx SET contoso = (api.customer_add('Contoso') ->> 'id')::uuid;
SELECT is(logic.resolve_customer(a, 'CONTOSO'), contoso, 'an exact name wins over the names it is a part of') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, 'ontoso '), 'SU037',
                 '"ontoso" matches 3 customers: Contoso (' || contoso || '); Contoso Beijing (' || beijing
                 || '); Contoso Shanghai (contoso-sh.partner.onmschina.cn, ' || shanghai || ')',
                 'a part several customers have: customer_ambiguous listing the partner''s candidates') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, 'Northwind'), 'SU003', NULL,
                 'another partner''s customer by name: customer_not_found') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, 'contoso-secret.partner.onmschina.cn'), 'SU003', NULL,
                 'another partner''s customer by domain: customer_not_found') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, b_secret), 'SU003', NULL,
                 'another partner''s customer by id: customer_not_found') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, 'secret'), 'SU003', NULL,
                 'a part of only another partner''s name: customer_not_found') FROM fx;
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, ' '), 'SU041', NULL, 'an empty CUSTOMER') FROM fx;
-- A text longer than any name is not matched against the names (nor costs the server its trigrams).
SELECT throws_ok(format('SELECT logic.resolve_customer(%L, %L)', a, repeat('contoso', 40)), 'SU003', NULL,
                 'a CUSTOMER longer than any name: customer_not_found, without reading the names') FROM fx;
SELECT throws_ok(format($$SELECT set_config('subctl.partner_id', %L, true), api.customers(%L)$$, a,
                        repeat('x', core.display_name_max_length() + 1)), 'SU041',
                 format('the search text has %s characters; a name has at most %s',
                        core.display_name_max_length() + 1, core.display_name_max_length()),
                 'a search text longer than any name is refused') FROM fx;

-- The search is an index read: the trigram indexes serve ILIKE '%text%' on name and domain
-- (planned here without sequential scans: the table is small; tests/bench/flow_latency.sql
-- shows the planner choosing them on the benchmark's data set).
SET LOCAL enable_seqscan = off;
CREATE FUNCTION pg_temp.plan_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text; l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN ' || p_query LOOP v := concat_ws(E'\n', v, l); END LOOP;
    RETURN v;
END $$;
SELECT matches(pg_temp.plan_of($$SELECT c.id FROM core.customers c
                                  WHERE c.name ILIKE '%contoso%' OR c.domain ILIKE '%contoso%'$$),
               'index_customers_name_trgm(.|\n)*index_customers_domain_trgm',
               'name and domain are searched through their trigram indexes');
SELECT matches(pg_temp.plan_of($$SELECT c.id FROM core.customers c WHERE lower(c.name) = lower('Contoso Shanghai')$$),
               'index_customers_name_lower', 'a whole name (as logic.resolve_customer matches it) reads the index on lower(name)');
RESET enable_seqscan;

-- pg_trgm sits in a schema of its own where no login creates anything (nor may use it).
SELECT is((SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'), 'trgm',
          'pg_trgm is installed in schema trgm');
SELECT is(ARRAY(SELECT r FROM unnest(ARRAY['subctl_operator', 'subctl_reporter', 'subctl_report_owner', 'public']) r
                WHERE has_schema_privilege(r, 'trgm', 'CREATE') OR has_schema_privilege(r, 'trgm', 'USAGE')),
          '{}', 'no role but the owner may create objects in trgm or use it');

SELECT * FROM finish();
ROLLBACK;
