-- EXPLAIN (ANALYZE, BUFFERS) of what api.upgrades runs (logic.upgrade_evaluations for
-- one subscription) for :samples random subscriptions of partner :partner: the server's
-- execution time min/median/max; then, through auto_explain, the plans of the statements
-- inside the rules' PL/pgSQL functions for the slowest sample (no Seq Scan expected).
--   psql -v partner=bench-a -v samples=25 -f tests/bench/listing_explain.sql
\set ON_ERROR_STOP 1
SET jit = off;  -- as in subctl's sessions
CREATE TEMP TABLE explained (subscription_id uuid, ms double precision);
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
        EXECUTE format('EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT * FROM logic.upgrade_evaluations(ARRAY[%L]::uuid[], %L) e '
                       'WHERE e.subscription_id = %L', v_customer_id, current_setting('bench.partner'), v_id) INTO v_plan;
        INSERT INTO explained
        SELECT v_id, (v_plan -> 0 ->> 'Execution Time')::double precision;
    END LOOP;
END $$;
SELECT count(*) AS samples, round(min(ms)::numeric, 3) AS min_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 3) AS median_ms, round(max(ms)::numeric, 3) AS max_ms
FROM explained;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_level = notice;
SELECT count(*) FROM (SELECT s.id, s.customer_id FROM explained x JOIN core.subscriptions s ON s.id = x.subscription_id
                      ORDER BY x.ms DESC LIMIT 1) x,
                     LATERAL logic.upgrade_evaluations(ARRAY[x.customer_id], current_setting('bench.partner')) e
WHERE e.subscription_id = x.id;
