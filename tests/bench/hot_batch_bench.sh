#!/usr/bin/env bash
# Figure 9 of `make bench`, run by tests/bench/run.sh on its bench database after the
# batch figures: batches whose rows crowd onto a few customers (a wave holds one row per
# customer, so such a file runs in many small waves):
#   9. hot: HOT_ROWS add_licenses rows (1 license each) over 40 subscriptions of 40 new
#      customers, in round-robin order, by `subctl batch run FILE -q` (rows/s), vs its raw
#      floor: the same rows written by one plain statement with the project's triggers off
#      (the 40 subscriptions' final quantities and versions, one audit event per row with
#      its quantity before and after), in one transaction, rolled back; the ratio batch
#      time / raw floor time (target <= 5.0; and >= 10,000 rows/s).
#      mixed: MIX_ROWS rows of every action over 40 more such subscriptions (add_licenses,
#      remove_licenses, suspend, reactivate in turn; then one upgrade or one cancel per
#      subscription), rows/s (target >= 10,000 rows/s).
#   hot_batch_bench.sh BUILD_DIR   environment (from run.sh): DATABASE_URL, PGHOST, PGUSER,
#   PGDATABASE, SUBCTL_PARTNER, BENCH_DIR, BENCH_CSV; HOT_ROWS (200000), MIX_ROWS (20000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
hot_rows=${HOT_ROWS:-200000} mix_rows=${MIX_ROWS:-20000}
partner=$SUBCTL_PARTNER out=$BENCH_DIR csv=$BENCH_CSV
for n in "$hot_rows" "$mix_rows"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "hot_batch_bench: HOT_ROWS and MIX_ROWS must be positive whole numbers, not '$n'" >&2; exit 64; }
done
stamp=$(date +%Y%m%d-%H%M%S)
hot_file=$out/hot-batch.csv mix_file=$out/mixed-batch.csv
. "$root/tests/bench/batch_common.sh"

# 80 new customers of the partner, each with an office365 relationship and one monthly
# subscription: 40 of o365-e3 (the hot file's; up to 10,000,000 licenses) and 40 of
# o365-business (the mixed file's: upgradable to o365-e3). Then both files.
psql -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
BEGIN;
SELECT set_config('subctl.partner_id', '$partner', true), logic.begin_operation('hot_batch_dataset');
CREATE TEMP TABLE hot_customers ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, i, CASE WHEN i <= 40 THEN 'o365-e3' ELSE 'o365-business' END AS offer
FROM generate_series(1, 80) i;
INSERT INTO core.customers (id, name, created_by_partner_id)
SELECT id, format('Hot batch customer %s %s', '$stamp', i), '$partner' FROM hot_customers;
INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
SELECT '$partner', id, 'office365', 'active', now(), now() + interval '1 year' FROM hot_customers;
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                recorded_by_partner_id)
SELECT id, offer, 10, 'monthly', 'active', 'csp', '$partner', '$partner' FROM hot_customers;
CREATE TEMP TABLE hot_subscriptions ON COMMIT DROP AS
SELECT s.id, c.i FROM hot_customers c JOIN core.subscriptions s ON s.customer_id = c.id;
\copy (SELECT 'add_licenses', s.id, NULL, 1, NULL FROM generate_series(0, $hot_rows - 1) n JOIN hot_subscriptions s ON s.i = n % 40 + 1 ORDER BY n) TO '$hot_file' (FORMAT csv, HEADER false)
-- per mixed subscription: suspend, reactivate, add 2, remove 1 in turn; its last row an
-- upgrade (the first 20) or a cancel (the other 20)
\copy (SELECT CASE WHEN x.n >= $mix_rows - 40 THEN CASE WHEN x.i <= 60 THEN 'upgrade' ELSE 'cancel' END ELSE (ARRAY['suspend', 'reactivate', 'add_licenses', 'remove_licenses'])[x.n / 40 % 4 + 1] END AS action, s.id, NULL AS target_offer, NULL AS quantity, NULL FROM (SELECT n, n % 40 + 41 AS i FROM generate_series(0, $mix_rows - 1) n) x JOIN hot_subscriptions s ON s.i = x.i ORDER BY x.n) TO '$mix_file.tmp' (FORMAT csv, HEADER false)
COMMIT;
SQL
# the mixed file's target offer and quantities, by action
awk -F, -v OFS=, '{ if ($1 == "upgrade") $3 = "o365-e3"; else if ($1 == "add_licenses") $4 = 2; else if ($1 == "remove_licenses") $4 = 1; print }' \
    "$mix_file.tmp" >"$mix_file" && rm -f "$mix_file.tmp"
for f in "$hot_file" "$mix_file"; do
    sed -i '1i action,subscription_id,target_offer,quantity,request_id' "$f"
done

run_batch() {  # name file: seconds on stdout
    local started status=0
    started=$(now)
    "$build/subctl" batch run "$2" --name "$1" -q >"$out/batch-$1.out" 2>&1 || status=$?
    [ "$status" -le 1 ] || { echo "hot_batch_bench: subctl batch run $2 failed (exit $status): $(head -3 "$out/batch-$1.out")" >&2; exit 70; }
    awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}

# The raw floor of the hot file: its rows' effect and audit events by one statement, the
# project's triggers off, rolled back; timed inside the transaction (the COPY aside).
psql -qX -v ON_ERROR_STOP=1 >"$out/hot-raw-floor.out" <<SQL
BEGIN;
CREATE TEMP TABLE floor_rows (line bigint GENERATED ALWAYS AS IDENTITY, action text, subscription_id uuid,
                              target_offer text, quantity integer, request_id text) ON COMMIT DROP;
\copy floor_rows (action, subscription_id, target_offer, quantity, request_id) FROM '$hot_file' (FORMAT csv, HEADER)
ANALYZE floor_rows;
ALTER TABLE core.subscriptions DISABLE TRIGGER USER;
ALTER TABLE core.audit_events DISABLE TRIGGER USER;
SELECT set_config('bench.started', clock_timestamp()::text, true) \\g /dev/null
WITH steps AS (
    SELECT f.line, f.subscription_id, s.customer_id, s.offer_id, s.version, s.quantity AS base,
           s.quantity + sum(f.quantity) OVER w AS quantity, row_number() OVER w AS step
    FROM floor_rows f JOIN core.subscriptions s ON s.id = f.subscription_id
    WINDOW w AS (PARTITION BY f.subscription_id ORDER BY f.line)),
changed AS (
    UPDATE core.subscriptions s SET quantity = t.quantity, version = s.version + t.steps, updated_at = clock_timestamp()
    FROM (SELECT subscription_id, max(quantity) AS quantity, count(*) AS steps FROM steps GROUP BY 1) t
    WHERE s.id = t.subscription_id
    RETURNING s.id)
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                               subscription_version, customer_id, changes, outcome, request_id, batch_id, offer_id,
                               chain_hash)
SELECT 'add_licenses', 'bench', '$partner', 'batch', 'subscriptions', e.subscription_id::text, e.subscription_id,
       e.version + e.step, e.customer_id, e.changes, 'succeeded', 'hot-raw-floor:' || e.line, 'hot-raw-floor-$stamp',
       e.offer_id, sha256(convert_to(e.changes::text, 'UTF8'))
FROM (SELECT st.*, jsonb_build_object('quantity', jsonb_build_array(st.quantity - 1, st.quantity),
                                      'version', jsonb_build_array(st.version + st.step - 1, st.version + st.step)) AS changes
      FROM steps st) e
WHERE (SELECT count(*) FROM changed) > 0;
SELECT 'raw_floor_seconds=' || round(extract(epoch FROM clock_timestamp() - current_setting('bench.started')::timestamptz)::numeric, 3),
       'raw_floor_events=' || (SELECT count(*) FROM core.audit_events WHERE batch_id = 'hot-raw-floor-$stamp');
ROLLBACK;
SQL
raw_seconds=$(grep -o 'raw_floor_seconds=[0-9.]*' "$out/hot-raw-floor.out" | cut -d= -f2)
raw_events=$(grep -o 'raw_floor_events=[0-9]*' "$out/hot-raw-floor.out" | cut -d= -f2)

hot_seconds=$(run_batch "hot-$stamp" "$hot_file")
mix_seconds=$(run_batch "mixed-$stamp" "$mix_file")
hot_rate=$(rate "$hot_rows" "$hot_seconds") raw_rate=$(rate "$hot_rows" "$raw_seconds") mix_rate=$(rate "$mix_rows" "$mix_seconds")
ratio=$(awk -v a="$hot_seconds" -v b="$raw_seconds" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
record hot_batch_rows_per_s "$hot_rate" rows/s hot_raw_floor_rows_per_s "$raw_rate"
record hot_batch_seconds "$hot_seconds" s hot_raw_floor_seconds "$raw_seconds"
record mixed_batch_rows_per_s "$mix_rate" rows/s target_min_rows_per_s 10000
echo "9. hot batch of $hot_rows add_licenses rows over 40 subscriptions: subctl $hot_rate rows/s (${hot_seconds}s; $(outcomes "hot-$stamp"))" \
     "(target >= 10000); raw floor (one statement, triggers off) $raw_rate rows/s (${raw_seconds}s, $raw_events audit events):" \
     "ratio batch/raw floor time $ratio (target <= 5.0)"
echo "9. mixed batch of $mix_rows rows of every action over 40 subscriptions: subctl $mix_rate rows/s (${mix_seconds}s;" \
     "$(outcomes "mixed-$stamp")) (target >= 10000)"
