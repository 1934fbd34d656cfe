-- Server-side latency of the `upgrades` listing (api.upgrades) for :samples random
-- subscriptions of partner :partner, and of a primary-key fetch of the same rows as the
-- baseline; clock_timestamp() around each call, after a warm-up. Prints
-- name,p50_ms,p99_ms,max_ms lines.
\set ON_ERROR_STOP 1
SET jit = off;  -- as in subctl's sessions
SELECT set_config('subctl.partner_id', :'partner', false) \g /dev/null
CREATE TEMP TABLE sample AS
SELECT s.id FROM core.partner_customers pc JOIN core.subscriptions s ON s.customer_id = pc.customer_id
WHERE pc.partner_id = :'partner' ORDER BY random() LIMIT :samples;
CREATE TEMP TABLE timings (name text, ms double precision);
DO $$
DECLARE
    v_id uuid;
    v_start timestamptz;
    v_row jsonb;
BEGIN
    FOR v_id IN SELECT id FROM sample LIMIT 50 LOOP  -- warm-up: plans, caches
        PERFORM api.upgrades(v_id);
        SELECT to_jsonb(s) INTO v_row FROM core.subscriptions s WHERE s.id = v_id;
    END LOOP;
    FOR v_id IN SELECT id FROM sample LOOP
        v_start := clock_timestamp();
        PERFORM api.upgrades(v_id);
        INSERT INTO timings VALUES ('upgrades', extract(epoch FROM clock_timestamp() - v_start) * 1000);
        v_start := clock_timestamp();
        SELECT to_jsonb(s) INTO v_row FROM core.subscriptions s WHERE s.id = v_id;
        INSERT INTO timings VALUES ('pk_fetch', extract(epoch FROM clock_timestamp() - v_start) * 1000);
    END LOOP;
END $$;
\pset format unaligned
\pset tuples_only on
\pset fieldsep ','
SELECT name, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 4),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 4), round(max(ms)::numeric, 4)
FROM timings GROUP BY name ORDER BY name DESC;
