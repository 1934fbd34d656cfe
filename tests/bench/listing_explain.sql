-- EXPLAIN (ANALYZE, BUFFERS) of what api.upgrades runs (logic.upgrade_evaluations for
-- one subscription) for :samples random subscriptions of partner :partner: the server's
-- execution time min/median/max, and every plan node kind used (no Seq Scan expected).
--   psql -v partner=bench-a -v samples=25 -f tests/bench/listing_explain.sql
\set ON_ERROR_STOP 1
SET jit = off;  -- as in subctl's sessions
CREATE TEMP TABLE explained (subscription_id uuid, ms double precision, nodes text[]);
SELECT set_config('bench.partner', :'partner', false) \g /dev/null
SELECT set_config('bench.samples', :'samples', false) \g /dev/null
DO $$
DECLARE
    v_id uuid;
    v_customer_id uuid;
    v_plan json;
BEGIN
    FOR v_id, v_customer_id IN SELECT s.id, s.customer_id FROM core.subscriptions s TABLESAMPLE SYSTEM (1)
                WHERE s.recorded_by_partner_id = current_setting('bench.partner')
                ORDER BY random() LIMIT current_setting('bench.samples')::int LOOP
        EXECUTE format('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM logic.upgrade_evaluations(%L) e '
                       'WHERE e.customer_id = %L AND e.subscription_id = %L', current_setting('bench.partner'),
                       v_customer_id, v_id) INTO v_plan;
        INSERT INTO explained
        SELECT v_id, (v_plan -> 0 ->> 'Execution Time')::double precision,
               ARRAY(SELECT DISTINCT m[1] || coalesce(' on ' || m[2], '')
                     FROM regexp_matches(v_plan::text, '"Node Type": "([^"]+)"(?:,\s*"Parent Relationship": "[^"]+")?(?:,\s*"Parallel Aware": \w+)?(?:,\s*"Async Capable": \w+)?(?:,\s*"Scan Direction": "\w+")?(?:,\s*"Index Name": "([^"]+)")?', 'g') AS m);
    END LOOP;
END $$;
SELECT count(*) AS samples, round(min(ms)::numeric, 3) AS min_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 3) AS median_ms, round(max(ms)::numeric, 3) AS max_ms
FROM explained;
SELECT DISTINCT unnest(nodes) AS plan_nodes FROM explained ORDER BY 1;
