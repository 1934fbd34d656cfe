#!/usr/bin/env bash
# Figures 3 and 4 of `make bench`, run by tests/bench/run.sh on its bench
# database once the other figures are measured:
#   3. BATCH_ROWS upgrades applied by `subctl batch run FILE -q` (rows/s) vs the floor: the
#      same effect for as many other, equivalent rows by one set-based SQL statement (read
#      the file, insert the targets, suspend and link the sources, move the users' licenses;
#      the audit triggers write one event per change as for any write) in one transaction, on the same database;
#      the ratio batch time / floor time. And the raw floor, the ratio's target (<= 3.0):
#      the same rows and the same audit events written by one plain statement (insert the
#      targets, update the sources, move the licenses, insert one audit event per change with
#      its hash: two per moved license, as gone and as come) with
#      the project's triggers off, in one transaction, rolled back (before the floor above,
#      on the same rows: the database keeps only audited rows). Then the same rows again as a new
#      batch: every row is already applied (replayed by its request id), the cost of a
#      no-op resume; and the re-run of the first file itself (nothing pending).
#   4. subctl's peak RSS (/usr/bin/time %M) during the batch (target < 64 MiB).
# The rows: one eligible upgrade (logic.upgrade_evaluations, no error code) per customer of
# the bench partner, so no row changes another's eligibility, in random order, half for
# the batch and half for the floor; when the dataset has fewer than 2 x BATCH_ROWS,
# tests/bench/batch_dataset.sql adds the missing customers to the partner.
#   batch_bench.sh BUILD_DIR   environment (from run.sh): DATABASE_URL, PGHOST, PGUSER,
#   PGDATABASE, SUBCTL_PARTNER, BENCH_DIR, BENCH_CSV; BATCH_ROWS (20000; the issue's size is 1000000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
rows=${BATCH_ROWS:-20000}
partner=$SUBCTL_PARTNER out=$BENCH_DIR csv=$BENCH_CSV
[[ $rows =~ ^[1-9][0-9]*$ ]] || { echo "batch_bench: BATCH_ROWS must be a positive whole number, not '$rows'" >&2; exit 64; }
[ -x /usr/bin/time ] || SUBCTL_EXTRA_PACKAGES="time" "$root/tests/support/deps.sh"

stamp=$(date +%Y%m%d-%H%M%S)
batch_file=$out/batch.csv floor_file=$out/batch-floor.csv
batch_name=bench-$stamp replay_name=bench-$stamp-replay
. "$root/tests/bench/batch_common.sh"
audit_events() { psql -XAtc "SELECT count(*) FROM core.audit_events WHERE batch_id = '$1'"; }

# One eligible upgrade (no error code, quantity in the target's range) per customer of the partner.
eligible="SELECT DISTINCT ON (e.customer_id) e.subscription_id, e.target_offer_id
    FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), '$partner') e JOIN core.subscriptions s ON s.id = e.subscription_id
    WHERE e.error_codes = '{}' AND logic.quantity_in_range(e.target_offer_id, s.quantity)
    ORDER BY e.customer_id, random()"
# Too few left in the dataset (SCALE; figure 1 used some): new customers of the partner make up the rest.
found=$(psql -XAtc "SELECT count(*) FROM ($eligible) e")
added=$((found < 2 * rows ? 2 * rows - found : 0))
[ "$added" -eq 0 ] ||
    psql -qX -v partner="$partner" -v rows="$added" -f "$root/tests/bench/batch_dataset.sql" >/dev/null
# Both files from one random draw: the first half for the batch, the second for the floor.
psql -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
CREATE TEMP TABLE picks AS SELECT row_number() OVER (ORDER BY random()) AS n, * FROM ($eligible) e;
\copy (SELECT 'upgrade' AS action, subscription_id, target_offer_id AS target_offer, NULL AS quantity, '$batch_name:' || n AS request_id FROM picks WHERE n <= $rows ORDER BY n) TO '$batch_file' (FORMAT csv, HEADER)
\copy (SELECT 'upgrade' AS action, subscription_id, target_offer_id AS target_offer, NULL AS quantity, '$batch_name:' || n AS request_id FROM picks WHERE n > $rows AND n <= 2 * $rows ORDER BY n) TO '$floor_file' (FORMAT csv, HEADER)
SQL
[ "$(($(wc -l <"$floor_file") - 1))" -eq "$rows" ] ||
    { echo "batch_bench: fewer than $((2 * rows)) eligible upgrades after adding $added customers" >&2; exit 70; }

# The batch: subctl's wall time and peak RSS (KiB).
batch() {  # name file: seconds and peak KiB on stdout
    local started status=0
    started=$(now)
    /usr/bin/time -f %M -o "$out/batch.rss" "$build/subctl" batch run "$2" --name "$1" -q >"$out/batch-$1.out" 2>&1 ||
        status=$?
    echo "$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }') $(tail -1 "$out/batch.rss")"
    [ "$status" -le 1 ] || { echo "batch_bench: subctl batch run $2 failed (exit $status): $(head -3 "$out/batch-$1.out")" >&2; exit 70; }
}
measured=$(batch "$batch_name" "$batch_file")
read -r batch_seconds batch_kib <<<"$measured"
batch_outcomes="$(outcomes "$batch_name"), $(audit_events "$batch_name") audit events"

# The raw floor: the floor's rows and audit events by one statement, the project's
# triggers off (constraints and foreign keys stay), then rolled back. Timed inside the
# transaction (the DISABLE TRIGGER and the COPY aside), up to its end.
psql -qX -v ON_ERROR_STOP=1 >"$out/raw-floor.out" <<SQL
BEGIN;
CREATE TEMP TABLE floor_rows (action text, subscription_id uuid, target_offer text, quantity integer,
                              request_id text) ON COMMIT DROP;
\copy floor_rows FROM '$floor_file' (FORMAT csv, HEADER)
ANALYZE floor_rows;
ALTER TABLE core.subscriptions DISABLE TRIGGER USER;
ALTER TABLE core.license_assignments DISABLE TRIGGER USER;
ALTER TABLE core.audit_events DISABLE TRIGGER USER;
SELECT set_config('bench.started', clock_timestamp()::text, true) \g /dev/null
WITH targets AS (
    INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                    recorded_by_partner_id, upgraded_from_subscription_id)
    SELECT s.customer_id, f.target_offer, coalesce(f.quantity, s.quantity), s.billing_cycle, 'active', 'csp',
           '$partner', '$partner', s.id
    FROM floor_rows f JOIN core.subscriptions s ON s.id = f.subscription_id
    RETURNING *),
sources AS (
    UPDATE core.subscriptions s SET status = 'suspended', status_reason = 'upgraded', upgraded_to_subscription_id = t.id,
                                    version = s.version + 1, updated_at = clock_timestamp()
    FROM targets t WHERE s.id = t.upgraded_from_subscription_id
    RETURNING s.*, t.id AS target_id),
moved AS (  -- the users' licenses go with the upgrade: each an event as gone and one as come
    UPDATE core.license_assignments a SET subscription_id = s.target_id
    FROM sources s WHERE a.subscription_id = s.id
    RETURNING a.*, s.id AS source_id),
events AS (
    SELECT e.entity, e.entity_id, e.subscription, e.version, e.customer_id, e.offer_id, e.changes, f.request_id
    FROM (SELECT 'subscriptions' AS entity, t.id::text AS entity_id, t.id AS subscription, t.version, t.customer_id,
                 t.offer_id, t.upgraded_from_subscription_id AS source,
                 (SELECT jsonb_object_agg(k.key, jsonb_build_array(NULL, k.value)) FROM jsonb_each(jsonb_strip_nulls(to_jsonb(t))) k
                  WHERE k.key NOT IN ('version', 'created_at', 'updated_at')) AS changes
          FROM targets t
          UNION ALL
          SELECT 'subscriptions', s.id::text, s.id, s.version, s.customer_id, s.offer_id, s.id,
                 jsonb_build_object('status', jsonb_build_array('active', s.status), 'status_reason',
                                    jsonb_build_array(NULL, s.status_reason), 'upgraded_to_subscription_id',
                                    jsonb_build_array(NULL, s.upgraded_to_subscription_id), 'version',
                                    jsonb_build_array(s.version - 1, s.version))
          FROM sources s
          UNION ALL
          SELECT 'license_assignments', m.user_id::text, x.subscription_id, NULL, m.customer_id, NULL, m.source_id,
                 (SELECT jsonb_object_agg(k.key, CASE WHEN x.gone THEN jsonb_build_array(k.value, NULL)
                                                      ELSE jsonb_build_array(NULL, k.value) END)
                  FROM jsonb_each(jsonb_build_object('subscription_id', x.subscription_id, 'user_id', m.user_id,
                                                     'customer_id', m.customer_id, 'assigned_at', m.assigned_at)) k)
          FROM moved m CROSS JOIN LATERAL (VALUES (true, m.source_id), (false, m.subscription_id)) AS x (gone, subscription_id)) e
    JOIN floor_rows f ON f.subscription_id = e.source)
INSERT INTO core.audit_events (operation, operator, partner_id, source, entity, entity_id, subscription_id,
                               subscription_version, customer_id, changes, outcome, request_id, batch_id, offer_id,
                               chain_hash)
SELECT 'upgrade', 'bench', '$partner', 'batch', e.entity, e.entity_id, e.subscription, e.version,
       e.customer_id, e.changes, 'succeeded', e.request_id, '$batch_name-raw-floor', e.offer_id,
       sha256(convert_to(e.changes::text, 'UTF8'))
FROM events e;
SELECT 'raw_floor_seconds=' || round(extract(epoch FROM clock_timestamp() - current_setting('bench.started')::timestamptz)::numeric, 3),
       'raw_floor_events=' || (SELECT count(*) FROM core.audit_events WHERE batch_id = '$batch_name-raw-floor');
ROLLBACK;
SQL
raw_seconds=$(grep -o 'raw_floor_seconds=[0-9.]*' "$out/raw-floor.out" | cut -d= -f2)
raw_events=$(grep -o 'raw_floor_events=[0-9]*' "$out/raw-floor.out" | cut -d= -f2)

# The floor: the same effect for the other rows, set-based, in one transaction.
started=$(now)
psql -qX -v ON_ERROR_STOP=1 >/dev/null <<SQL
BEGIN;
SELECT set_config('subctl.partner_id', '$partner', true),
       logic.begin_operation('upgrade', NULL, NULL, '$batch_name-floor');  -- its events counted by that batch id
CREATE TEMP TABLE floor_rows (action text, subscription_id uuid, target_offer text, quantity integer,
                              request_id text) ON COMMIT DROP;
\copy floor_rows FROM '$floor_file' (FORMAT csv, HEADER)
WITH targets AS (
    INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, status, channel, partner_id,
                                    recorded_by_partner_id, upgraded_from_subscription_id)
    SELECT s.customer_id, f.target_offer, coalesce(f.quantity, s.quantity), s.billing_cycle, 'active', 'csp',
           '$partner', '$partner', s.id
    FROM floor_rows f JOIN core.subscriptions s ON s.id = f.subscription_id
    RETURNING id, upgraded_from_subscription_id),
sources AS (
    UPDATE core.subscriptions s SET status = 'suspended', status_reason = 'upgraded', upgraded_to_subscription_id = t.id
    FROM targets t WHERE s.id = t.upgraded_from_subscription_id
    RETURNING s.id, t.id AS target_id)
UPDATE core.license_assignments a SET subscription_id = s.target_id FROM sources s WHERE a.subscription_id = s.id;
COMMIT;
SQL
floor_seconds=$(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }')
floor_events=$(audit_events "$batch_name-floor")

# The same rows as a new batch (same request ids): every row replayed, nothing applied twice.
measured=$(batch "$replay_name" "$batch_file")
read -r replay_seconds replay_kib <<<"$measured"
replay_outcomes=$(outcomes "$replay_name")
# The first file re-run: its batch resumes with nothing pending.
measured=$(batch "$batch_name" "$batch_file")
read -r rerun_seconds _ <<<"$measured"

batch_rate=$(rate "$rows" "$batch_seconds") floor_rate=$(rate "$rows" "$floor_seconds")
replay_rate=$(rate "$rows" "$replay_seconds")
ratio=$(awk -v a="$batch_seconds" -v b="$floor_seconds" 'BEGIN { printf "%.2f", a / b }')
raw_rate=$(rate "$rows" "$raw_seconds")
raw_ratio=$(awk -v a="$batch_seconds" -v b="$raw_seconds" 'BEGIN { printf "%.2f", a / b }')
batch_mib=$(awk -v k="$batch_kib" 'BEGIN { printf "%.1f", k / 1024 }')
replay_mib=$(awk -v k="$replay_kib" 'BEGIN { printf "%.1f", k / 1024 }')
record batch_rows_per_s "$batch_rate" rows/s set_based_floor_rows_per_s "$floor_rate"
record batch_seconds "$batch_seconds" s set_based_floor_seconds "$floor_seconds"
record batch_rows_per_s_vs_raw "$batch_rate" rows/s raw_floor_rows_per_s "$raw_rate"
record batch_seconds_vs_raw "$batch_seconds" s raw_floor_seconds "$raw_seconds"
record batch_replay_rows_per_s "$replay_rate" rows/s batch_rows_per_s "$batch_rate"
record batch_peak_rss_mib "$batch_mib" MiB target_max_mib 64
echo "3. batch of $rows upgrades ($found eligible in the dataset, $added customers added): subctl $batch_rate rows/s (${batch_seconds}s; $batch_outcomes);" \
     "raw floor (one statement, triggers off) $raw_rate rows/s (${raw_seconds}s, $raw_events audit events): ratio batch/raw floor time $raw_ratio (target <= 3.0);" \
     "floor with the triggers on $floor_rate rows/s (${floor_seconds}s, $floor_events audit events): ratio $ratio"
echo "3. batch of the same $rows rows again (new batch, same request ids): $replay_rate rows/s (${replay_seconds}s;" \
     "$replay_outcomes); first file re-run (nothing pending): ${rerun_seconds}s"
echo "4. batch peak RSS: subctl $batch_mib MiB for $rows rows, $replay_mib MiB for the replay (target < 64 MiB)"
