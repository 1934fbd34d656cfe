-- Server-side latency of the operator's flow for partner :partner (SPEC 7.2), :samples
-- calls each after a warm-up, clock_timestamp() around each: `customer list --search`
-- (api.customers with a part of a random visible customer's name: its last two words,
-- e.g. "Trading 4711"), the CUSTOMER resolver on such a part, and `subscription show`
-- (api.subscription_details) of random subscriptions. Then the plan of the search with
-- one of those texts (EXPLAIN ANALYZE), to show the trigram indexes read. Prints
-- name,p50_ms,p99_ms,max_ms lines, then the plan.
--   psql -v partner=bench-a -v samples=1000 -f tests/bench/flow_latency.sql
\set ON_ERROR_STOP 1
SET jit = off;  -- as in subctl's sessions
SELECT set_config('subctl.partner_id', :'partner', false) \g /dev/null
CREATE TEMP TABLE texts AS
SELECT regexp_replace(c.name, '^.*?(\S+ \S+)$', '\1') AS search, c.name
FROM core.partner_customers pc JOIN core.customers c ON c.id = pc.customer_id
WHERE pc.partner_id = :'partner' ORDER BY random() LIMIT :samples;
CREATE TEMP TABLE sample AS
SELECT s.id FROM core.partner_customers pc JOIN core.subscriptions s ON s.customer_id = pc.customer_id
WHERE pc.partner_id = :'partner' ORDER BY random() LIMIT :samples;
CREATE TEMP TABLE timings (name text, ms double precision);
DO $$
DECLARE
    v_text text;
    v_id uuid;
    v_start timestamptz;
BEGIN
    FOR v_text IN SELECT search FROM texts LIMIT 50 LOOP  -- warm-up: plans, caches
        PERFORM api.customers(v_text);
    END LOOP;
    FOR v_id IN SELECT id FROM sample LIMIT 50 LOOP
        PERFORM api.subscription_details(v_id);
    END LOOP;
    FOR v_text IN SELECT search FROM texts LOOP
        v_start := clock_timestamp();
        PERFORM api.customers(v_text);
        INSERT INTO timings VALUES ('customer_search', extract(epoch FROM clock_timestamp() - v_start) * 1000);
    END LOOP;
    FOR v_text IN SELECT name FROM texts LOOP
        v_start := clock_timestamp();
        BEGIN
            PERFORM api.customer_resolve(v_text);
        EXCEPTION WHEN SQLSTATE 'SU037' THEN NULL;  -- a name that is a part of others' ("... 12" in "... 123")
        END;
        INSERT INTO timings VALUES ('customer_resolve', extract(epoch FROM clock_timestamp() - v_start) * 1000);
    END LOOP;
    FOR v_id IN SELECT id FROM sample LOOP
        v_start := clock_timestamp();
        PERFORM api.subscription_details(v_id);
        INSERT INTO timings VALUES ('subscription_show', extract(epoch FROM clock_timestamp() - v_start) * 1000);
    END LOOP;
END $$;
\pset format unaligned
\pset tuples_only on
\pset fieldsep ','
SELECT name, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 4),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 4), round(max(ms)::numeric, 4)
FROM timings GROUP BY name ORDER BY name;
SELECT search AS plan_for FROM texts LIMIT 1 \gset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT c.id FROM core.customers c
WHERE (c.name ILIKE '%' || logic.like_literal(:'plan_for') || '%' OR c.domain ILIKE '%' || logic.like_literal(:'plan_for') || '%')
  AND logic.customer_visible(:'partner', c.id);
