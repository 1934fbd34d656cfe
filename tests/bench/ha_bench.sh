#!/usr/bin/env bash
# Figure 6 of `make bench`, run when BENCH_HA=1, or alone:
#   tests/bench/ha_bench.sh BUILD_DIR
# What a synchronous standby costs: on one primary + hot standby pair (tests/support/ha.sh,
# .local/ha-bench, rebuilt each run and removed after it) with HA_SCALE customers (tests/support/dataset.sql),
#   - single upgrades through the C++ layer (subctl_bench), 1 and 8 connections, ops/s;
#   - a batch of HA_BATCH_ROWS eligible upgrades (`subctl batch run -q`), rows/s;
# each measured with synchronous_standby_names set (a commit returns once the standby has
# flushed its WAL: synchronous_commit = on) and cleared (the same standby, streaming
# asynchronously), alternating, REPEATS times; printed as sync / async ratios.
#   environment: HA_SCALE (100000), HA_BATCH_ROWS (5000), REPEATS (3), SECONDS_PER_RUN (3),
#   BENCH_CSV (a results file to append rows to, as run.sh writes them)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
support=$root/tests/support
scale=${HA_SCALE:-100000} batch_rows=${HA_BATCH_ROWS:-5000} repeats=${REPEATS:-3} seconds=${SECONDS_PER_RUN:-3}
cluster=$root/.local/ha-bench
work=$(mktemp -d /tmp/subctl-ha-bench.XXXXXX)
csv=${BENCH_CSV:-$work/results.csv}
[ -x "$build/subctl_bench" ] || cmake --build "$build" --target subctl_bench >/dev/null
trap '"$support/ha.sh" remove "$cluster"; rm -rf "$work"' EXIT  # rebuilt by every run: nothing kept

"$support/ha.sh" remove "$cluster"
url=$("$support/ha.sh" start "$cluster" bench | sed -n 1p)
unset PGHOST PGDATABASE SUBCTL_REPLICA_URL SUBCTL_CONFIG
export PGUSER=postgres SUBCTL_HOME=$root
sql() { psql "$url" -XAtq -v ON_ERROR_STOP=1 "$@"; }
"$build/subctl" --db "$url" migrate -q >/dev/null
"$build/subctl" --db "$url" catalog apply -q >/dev/null
sql -v customers="$scale" -v subscriptions_per_customer=3 -f "$support/dataset.sql" >/dev/null
sql -c 'VACUUM ANALYZE' >/dev/null
partner=$(sql -c "SELECT partner_id FROM core.subscriptions WHERE partner_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
# One eligible upgrade per customer, in random order: the last 2 x HA_BATCH_ROWS for the batches.
sql -F, -c "SELECT subscription_id, target_offer_id FROM (
        SELECT DISTINCT ON (e.customer_id) e.subscription_id, e.target_offer_id
        FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), '$partner') e JOIN core.subscriptions s ON s.id = e.subscription_id
        WHERE e.error_codes = '{}' AND logic.quantity_in_range(e.target_offer_id, s.quantity)
        ORDER BY e.customer_id, random()) e ORDER BY random()" >"$work/candidates"
total=$(wc -l <"$work/candidates")
singles=$((total - 2 * batch_rows))
[ "$singles" -gt 0 ] || { echo "ha_bench: $total eligible upgrades, fewer than 2 x HA_BATCH_ROWS: raise HA_SCALE" >&2; exit 70; }
head -n "$singles" "$work/candidates" >"$work/singles"
echo "6. synchronous standby: HA_SCALE=$scale customers, $total eligible upgrades ($singles for single upgrades, 2 x $batch_rows for the batches)"
for mode in sync async; do
    from=$((singles + 1)); [ $mode = sync ] || from=$((singles + batch_rows + 1))
    { echo "action,subscription_id,target_offer,quantity,request_id"
      awk -F, -v from="$from" -v to=$((from + batch_rows - 1)) 'NR >= from && NR <= to { print "upgrade," $1 "," $2 ",," }' \
          "$work/candidates"; } >"$work/batch-$mode.csv"
done

mode() {  # sync: the primary waits for b's flush on every commit; async: it does not
    local names=''; [ "$1" = sync ] && names=b
    sql -c "ALTER SYSTEM SET synchronous_standby_names = '$names'" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
    [ "$(sql -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'b'")" = "$1" ] ||
        { echo "ha_bench: b is not $1 after the change" >&2; exit 70; }
}
[ -f "$csv" ] || echo "figure,run,value,unit,baseline,baseline_value,ratio" >"$csv"
record() { echo "$1,$2,$3,$4,$5,$6,$(awk -v a="$3" -v b="$6" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" >>"$csv"; }
offset=0
declare -A ops
for run in $(seq 1 "$repeats"); do
    for clients in 1 8; do
        for mode in sync async; do
            mode "$mode"
            line=$("$build/subctl_bench" --db "$url" --partner "$partner" --candidates "$work/singles" --offset "$offset" \
                   --threads "$clients" --seconds "$seconds" 2>>"$work/subctl_bench.log") || true
            IFS=, read -r _ operations _ rate rejected errors <<<"$line"
            [ "${operations:-0}" -gt 0 ] && [ "${rejected:-0}${errors:-0}" = 00 ] ||
                { echo "ha_bench: run $run, $clients connection(s), $mode: '$line' after $offset of $singles upgrades (raise HA_SCALE?)" >&2; exit 70; }
            offset=$((offset + operations))
            ops[$mode]=$rate
        done
        record "ha_upgrades_per_s_${clients}_connections_sync" "$run" "${ops[sync]}" ops/s async_ops_per_s "${ops[async]}"
    done
done
declare -A batch_rate
for mode in sync async; do
    mode "$mode"
    started=$(date +%s.%N)
    SUBCTL_PARTNER=$partner "$build/subctl" --db "$url" batch run "$work/batch-$mode.csv" --name "ha-bench-$mode" -q >/dev/null
    batch_rate[$mode]=$(awk -v n="$batch_rows" -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", n / (b - a) }')
done
mode sync
record ha_batch_rows_per_s_sync 1 "${batch_rate[sync]}" rows/s async_rows_per_s "${batch_rate[async]}"

median() {  # median FIGURE COLUMN [FORMAT]
    grep "^$1," "$csv" | cut -d, -f"$2" | sort -g |
        awk -v f="${3:-%.1f}" '{ v[NR] = $1 } END { printf f, NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for clients in 1 8; do
    figure=ha_upgrades_per_s_${clients}_connections_sync
    echo "6. synchronous standby, upgrades, $clients connection(s): sync $(median "$figure" 3) ops/s, async $(median "$figure" 6) ops/s;" \
         "ratio sync/async $(median "$figure" 7 %.2f) (median of $repeats; HA_SCALE=$scale)"
done
echo "6. synchronous standby, batch of $batch_rows upgrades: sync ${batch_rate[sync]} rows/s, async ${batch_rate[async]} rows/s;" \
     "ratio sync/async $(awk -v a="${batch_rate[sync]}" -v b="${batch_rate[async]}" 'BEGIN { printf "%.2f", a / b }')"
