#!/usr/bin/env bash
# Figure 10 of `make bench`, run by tests/bench/run.sh on its bench database after the
# other batch figures:
#  10. ASSIGN_ROWS assign_license rows (one user each, named by user principal name) by
#      `subctl batch run FILE -q` (rows/s), vs the raw floor: the same assignments and the
#      same audit events (one per assignment, with its row's request id and a hash) written
#      by plain statements with the project's triggers off (constraints and foreign keys
#      stay), in one transaction, rolled back, on the same rows before the batch; the ratio
#      batch time / raw floor time (target <= 3.0, as figure 3's).
# Setup, set-based and audited like any write: ASSIGN_CUSTOMERS new customers of the
# partner, each with an office365 relationship, one o365-e3 subscription and as many
# licenses and users as its share of the rows. The file names the customers round-robin
# (line n: customer n mod ASSIGN_CUSTOMERS), so a chunk of 500 rows is one wave of 500
# customers, as a file of many customers' users sorted by user would be.
#   assign_batch_bench.sh BUILD_DIR   environment (from run.sh): DATABASE_URL, PGHOST, PGUSER,
#   PGDATABASE, SUBCTL_PARTNER, BENCH_DIR, BENCH_CSV; ASSIGN_ROWS (1000000), ASSIGN_CUSTOMERS (1000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
rows=${ASSIGN_ROWS:-1000000} customers=${ASSIGN_CUSTOMERS:-1000}
partner=$SUBCTL_PARTNER out=$BENCH_DIR csv=$BENCH_CSV
for n in "$rows" "$customers"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "assign_batch_bench: ASSIGN_ROWS and ASSIGN_CUSTOMERS must be positive whole numbers, not '$n'" >&2; exit 64; }
done
[ "$customers" -le "$rows" ] || customers=$rows
per_customer=$(((rows + customers - 1) / customers))
stamp=$(date +%Y%m%d-%H%M%S)
file=$out/assign-batch.csv name=assign-$stamp
. "$root/tests/bench/batch_common.sh"

started=$(now)
psql -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
BEGIN;
SELECT set_config('subctl.partner_id', '$partner', true), logic.begin_operation('assign_batch_dataset');
CREATE TEMP TABLE assign_customers ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, i FROM generate_series(0, $customers - 1) i;
INSERT INTO core.customers (id, name, created_by_partner_id)
SELECT id, format('Assign batch customer %s %s', '$stamp', i), '$partner' FROM assign_customers;
INSERT INTO core.relationships (partner_id, customer_id, service_id, status, activated_at, expires_at)
SELECT '$partner', id, 'office365', 'active', now(), now() + interval '1 year' FROM assign_customers;
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                recorded_by_partner_id)
SELECT id, 'o365-e3', $per_customer, 'monthly', 'active', 'csp', '$partner', '$partner' FROM assign_customers;
-- line n (from 0): customer n mod C, its user n div C
CREATE TEMP TABLE assign_rows ON COMMIT DROP AS
SELECT n, c.id AS customer_id, s.id AS subscription_id, format('user%s@c%s.assign.partner.onmschina.cn', n / $customers, c.i) AS upn
FROM generate_series(0, $rows - 1) n JOIN assign_customers c ON c.i = n % $customers
JOIN core.subscriptions s ON s.customer_id = c.id;
INSERT INTO core.users (customer_id, upn) SELECT customer_id, upn FROM assign_rows;
\copy (SELECT 'assign_license' AS action, subscription_id, NULL AS target_offer, NULL AS quantity, '$name:' || n AS request_id, upn AS "user" FROM assign_rows ORDER BY n) TO '$file' (FORMAT csv, HEADER)
COMMIT;
ANALYZE core.users;
ANALYZE core.license_assignments;
SQL
setup_seconds=$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')

# The raw floor: the rows' assignments and audit events by plain statements, the
# project's triggers off, rolled back; timed inside the transaction (the COPY aside).
psql -qX -v ON_ERROR_STOP=1 >"$out/assign-raw-floor.out" <<SQL
BEGIN;
CREATE TEMP TABLE floor_rows (action text, subscription_id uuid, target_offer text, quantity integer,
                              request_id text, upn text) ON COMMIT DROP;
\copy floor_rows FROM '$file' (FORMAT csv, HEADER)
ANALYZE floor_rows;
ALTER TABLE core.license_assignments DISABLE TRIGGER USER;
ALTER TABLE core.audit_events DISABLE TRIGGER USER;
SELECT set_config('bench.started', clock_timestamp()::text, true) \\g /dev/null
WITH resolved AS MATERIALIZED (
    SELECT f.request_id, f.subscription_id, u.id AS user_id, u.customer_id
    FROM floor_rows f JOIN core.subscriptions s ON s.id = f.subscription_id
    JOIN core.users u ON u.customer_id = s.customer_id AND lower(u.upn) = lower(f.upn)),
assigned AS (
    INSERT INTO core.license_assignments (subscription_id, user_id, customer_id)
    SELECT subscription_id, user_id, customer_id FROM resolved
    RETURNING *)
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                               customer_id, changes, outcome, request_id, batch_id, chain_hash)
SELECT 'assign_license', 'bench', '$partner', 'batch', 'license_assignments', a.user_id::text, a.subscription_id,
       a.customer_id, e.changes, 'succeeded', r.request_id, '$name-raw-floor', sha256(convert_to(e.changes::text, 'UTF8'))
FROM assigned a JOIN resolved r USING (subscription_id, user_id)
CROSS JOIN LATERAL (SELECT jsonb_build_object('subscription_id', jsonb_build_array(NULL, a.subscription_id),
                                              'user_id', jsonb_build_array(NULL, a.user_id),
                                              'customer_id', jsonb_build_array(NULL, a.customer_id),
                                              'assigned_at', jsonb_build_array(NULL, a.assigned_at)) AS changes) e;
SELECT 'raw_floor_seconds=' || round(extract(epoch FROM clock_timestamp() - current_setting('bench.started')::timestamptz)::numeric, 3),
       'raw_floor_events=' || (SELECT count(*) FROM core.audit_events WHERE batch_id = '$name-raw-floor');
ROLLBACK;
SQL
raw_seconds=$(grep -o 'raw_floor_seconds=[0-9.]*' "$out/assign-raw-floor.out" | cut -d= -f2)
raw_events=$(grep -o 'raw_floor_events=[0-9]*' "$out/assign-raw-floor.out" | cut -d= -f2)

started=$(now) status=0
"$build/subctl" batch run "$file" --name "$name" -q >"$out/batch-$name.out" 2>&1 || status=$?
[ "$status" -le 1 ] || { echo "assign_batch_bench: subctl batch run $file failed (exit $status): $(head -3 "$out/batch-$name.out")" >&2; exit 70; }
batch_seconds=$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
events=$(psql -XAtc "SELECT count(*) FROM core.audit_events WHERE batch_id = '$name'")

batch_rate=$(rate "$rows" "$batch_seconds") raw_rate=$(rate "$rows" "$raw_seconds")
ratio=$(awk -v a="$batch_seconds" -v b="$raw_seconds" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
record assign_batch_rows_per_s "$batch_rate" rows/s assign_raw_floor_rows_per_s "$raw_rate"
record assign_batch_seconds "$batch_seconds" s assign_raw_floor_seconds "$raw_seconds"
echo "10. batch of $rows license assignments over $customers customers ($per_customer users each, set up in ${setup_seconds}s):" \
     "subctl $batch_rate rows/s (${batch_seconds}s; $(outcomes "$name"), $events audit events);" \
     "raw floor (plain statements, triggers off) $raw_rate rows/s (${raw_seconds}s, $raw_events audit events):" \
     "ratio batch/raw floor time $ratio (target <= 3.0)"
