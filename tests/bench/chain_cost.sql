-- make bench figure 7: what the tamper-evident audit chain costs a write. In one session,
-- rounds of 1000 license changes (one operation, one audit event each, with a request
-- id) with the chain's trigger on, and the same with it off, alternating, every round
-- rolled back; the first round of each only warms the plans. Prints CSV lines
-- `chain,MS` and `no_chain,MS`: the median server time per operation.
-- Usage: psql -v partner=bench-a -v rounds=5 -f chain_cost.sql
\set QUIET 1
\pset format unaligned
\pset tuples_only on
\pset fieldsep ','
CREATE TEMP TABLE chain_subjects AS
SELECT s.id, row_number() OVER () AS n FROM core.subscriptions s
WHERE s.partner_id = :'partner' AND s.status = 'active' AND s.billing_cycle = 'monthly' AND s.quantity < 200
  AND s.offer_id <> 'o365-extra-file-storage'
LIMIT 1000;
CREATE TEMP TABLE chain_cost (variant text, ms numeric);
SELECT set_config('subctl.partner_id', :'partner', false), set_config('bench.rounds', :'rounds', false) \g /dev/null
DO $$
DECLARE
    t0 timestamptz;
    v_ms numeric;
    v_variant text;
BEGIN
    FOR r IN 0 .. current_setting('bench.rounds')::int LOOP
        FOREACH v_variant IN ARRAY ARRAY['chain', 'no_chain'] LOOP
            BEGIN
                IF v_variant = 'no_chain' THEN
                    ALTER TABLE core.audit_events DISABLE TRIGGER chain_audit_event;
                    ALTER TABLE core.audit_events ALTER COLUMN chain_hash DROP NOT NULL;
                END IF;
                t0 := clock_timestamp();
                PERFORM api.licenses_change('add', id, 1, 'chain-cost-' || r || '-' || n) FROM chain_subjects;
                v_ms := extract(epoch FROM clock_timestamp() - t0) * 1000 / greatest((SELECT count(*) FROM chain_subjects), 1);
                RAISE EXCEPTION USING ERRCODE = 'SU099', MESSAGE = 'rolled back';
            EXCEPTION WHEN SQLSTATE 'SU099' THEN
                NULL;
            END;
            IF r > 0 THEN
                INSERT INTO chain_cost VALUES (v_variant, v_ms);
            END IF;
        END LOOP;
    END LOOP;
END $$;
SELECT variant, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 4) FROM chain_cost GROUP BY 1 ORDER BY 1;
