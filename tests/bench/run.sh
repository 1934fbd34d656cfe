#!/usr/bin/env bash
# `make bench`: its own cluster under .local/bench-pg, a dataset of SCALE customers (3
# subscriptions each) built by tests/support/dataset.sql, then each figure against a
# baseline measured in the same run on the same server, REPEATS times:
#   1. single upgrades through the C++ layer (subctl_bench), 1 and 8 connections, ops/s,
#      vs pgbench's built-in TPC-B-like script (-M prepared, same client counts);
#   2. `upgrades` listing latency p50/p99 on the server vs a primary-key fetch;
#   3./4. a batch of BATCH_ROWS upgrades vs the raw floor (one statement, triggers off)
#      and the set-based floor with the triggers on, its no-op replay and
#      subctl's peak RSS, from tests/bench/batch_bench.sh when present;
#   5. every report view read whole by a reporter login vs the owner reading all
#      subscriptions, from tests/bench/reports_bench.sh (run before 3./4., on the dataset
#      as built: ~3 x SCALE subscriptions);
#   6. (BENCH_HA=1) a synchronous standby's cost, from tests/bench/ha_bench.sh;
#   7. a license change (one audit event) with the audit chain vs with its trigger off,
#      in one session, rolled back (tests/bench/chain_cost.sql; run before 3./4.);
#   8. `customer list --search` and `subscription show` latency p50/p99 on the server
#      (tests/bench/flow_latency.sql), against the upgrades listing of the same run.
#   9. hot batches: HOT_ROWS add_licenses rows over 40 subscriptions vs their raw floor, and
#      MIX_ROWS rows of every action, from tests/bench/hot_batch_bench.sh (after 3./4.).
#  10. a batch of ASSIGN_ROWS license assignments (one user each) over ASSIGN_CUSTOMERS new
#      customers vs its raw floor, from tests/bench/assign_batch_bench.sh (after 9.).
# Results: .local/bench/results.csv and .local/bench/summary.txt (also kept per run);
# the cluster is stopped at the end, its data kept.
#   run.sh BUILD_DIR   environment: SCALE (100000), REPEATS (3), SECONDS_PER_RUN (10),
#   BATCH_ROWS (20000; the issue's size is 1000000), HOT_ROWS (200000), MIX_ROWS (20000),
#   ASSIGN_ROWS (1000000), ASSIGN_CUSTOMERS (1000)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
here=$root/tests/bench
scale=${SCALE:-100000} repeats=${REPEATS:-3} seconds=${SECONDS_PER_RUN:-10}
dataset=${BENCH_DATASET:-$root/tests/support/dataset.sql}
cluster=$root/.local/bench-pg
out=$root/.local/bench
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
csv=$out/results-$stamp.csv summary=$out/summary-$stamp.txt
[ -f "$dataset" ] || { echo "bench: $dataset is missing (the dataset builder)" >&2; exit 78; }
rm -f "$out/subctl_bench.log"

export PGHOST=$cluster/run PGUSER=postgres SUBCTL_HOME=$root
trap '"$root/tests/support/cluster.sh" stop "$cluster"' EXIT  # the data stays for inspection
url=$("$root/tests/support/cluster.sh" start "$cluster" postgres)
url=${url%%/postgres\?*}/bench?host=$cluster/run
say() { echo "$*" | tee -a "$summary"; }
load=$(cut -d' ' -f1-3 /proc/loadavg)
say "bench $stamp: SCALE=$scale customers, $repeats repeats of ${seconds}s, $(nproc) cores, load before: $load"

start=$SECONDS
dropdb --if-exists bench && createdb bench
"$build/subctl" --db "$url" migrate -q >/dev/null
"$build/subctl" --db "$url" catalog apply -q >/dev/null
PGDATABASE=bench psql -qX -v ON_ERROR_STOP=1 -v customers="$scale" -v subscriptions_per_customer=3 -f "$dataset" >/dev/null
PGDATABASE=bench psql -qX -c 'VACUUM ANALYZE' >/dev/null
partner=$(PGDATABASE=bench psql -XAtc "SELECT partner_id FROM core.subscriptions WHERE partner_id IS NOT NULL
                                       GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
subscriptions=$(PGDATABASE=bench psql -XAtc "SELECT count(*) FROM core.subscriptions")
# One eligible upgrade per customer, in random order, so that no upgrade makes another ineligible.
PGDATABASE=bench psql -XAt -F, -c "SELECT subscription_id, target_offer_id FROM (
        SELECT DISTINCT ON (customer_id) subscription_id, target_offer_id
        FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), '$partner') WHERE error_codes = '{}' ORDER BY customer_id, random()) e
    ORDER BY random()" >"$out/candidates"
say "dataset: $subscriptions subscriptions, partner $partner, $(wc -l <"$out/candidates") eligible upgrades (one per customer), built in $((SECONDS - start))s"

dropdb --if-exists pgbench && createdb pgbench
pgbench -i -q -s 10 pgbench >/dev/null 2>&1

echo "figure,run,value,unit,baseline,baseline_value,ratio" >"$csv"
record() { echo "$1,$2,$3,$4,$5,$6,$(awk -v a="$3" -v b="$6" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')" >>"$csv"; }
offset=0
for run in $(seq 1 "$repeats"); do
    for clients in 1 8; do
        tps=$(pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" pgbench 2>/dev/null \
              | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
        line=$("$build/subctl_bench" --db "$url" --partner "$partner" --candidates "$out/candidates" \
               --offset "$offset" --threads "$clients" --seconds "$seconds" 2>>"$out/subctl_bench.log") || true
        IFS=, read -r _ operations _ ops rejected errors <<<"$line"
        operations=${operations:-0}
        offset=$((offset + operations))
        [ "${rejected:-0}${errors:-0}" = 00 ] ||
            say "run $run, $clients connection(s): ${rejected:-?} rejected, ${errors:-?} errors ($out/subctl_bench.log)"
        if [ "${errors:-0}" != 0 ]; then  # failed calls are not upgrades: no figure rather than a wrong one
            say "run $run, $clients connection(s): not recorded (errors, see $out/subctl_bench.log)"
        elif [ "$operations" -gt 0 ]; then
            record "upgrades_per_s_${clients}_connections" "$run" "$ops" ops/s pgbench_tpcb_tps "$tps"
        else
            say "run $run, $clients connection(s): no eligible upgrades left (raise SCALE); not recorded"
        fi
    done
    PGDATABASE=bench psql -qX -v partner="$partner" -v samples=1000 -f "$here/listing_latency.sql" >"$out/latency"
    IFS=, read -r _ p50 p99 _ < <(grep '^upgrades,' "$out/latency")
    IFS=, read -r _ base50 base99 _ < <(grep '^pk_fetch,' "$out/latency")
    record upgrades_listing_p50_ms "$run" "$p50" ms pk_fetch_p50_ms "$base50"
    record upgrades_listing_p99_ms "$run" "$p99" ms pk_fetch_p99_ms "$base99"
    PGDATABASE=bench psql -qX -v partner="$partner" -v samples=1000 -f "$here/flow_latency.sql" >"$out/flow_latency"
    for name in customer_search subscription_show; do
        IFS=, read -r _ p50 p99 _ < <(grep "^$name," "$out/flow_latency")
        record "${name}_p50_ms" "$run" "$p50" ms upgrades_listing_p50_ms "$(grep '^upgrades,' "$out/latency" | cut -d, -f2)"
        record "${name}_p99_ms" "$run" "$p99" ms upgrades_listing_p99_ms "$(grep '^upgrades,' "$out/latency" | cut -d, -f3)"
    done
done

# median (min..max) of a figure's values (column 3) or of its baseline (column 6); median ratio.
spread() {
    grep "^$1," "$csv" | cut -d, -f"$2" | sort -g | awk -v f="${3:-%.1f}" '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf f " (" f ".." f ")", m, v[1], v[NR] }'
}
median_ratio() { grep "^$1," "$csv" | cut -d, -f7 | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }
for clients in 1 8; do
    figure=upgrades_per_s_${clients}_connections
    grep -q "^$figure," "$csv" || { say "1. upgrades, $clients connection(s): not measured (no eligible upgrades left)"; continue; }
    say "1. upgrades, $clients connection(s): subctl $(spread "$figure" 3) ops/s; pgbench TPC-B $(spread "$figure" 6) tps;" \
        "ratio $(median_ratio "$figure") (target >= 0.5)"
done
say "2. upgrades listing on the server: p50 $(spread upgrades_listing_p50_ms 3 %.3f) ms, p99 $(spread upgrades_listing_p99_ms 3 %.3f) ms" \
    "(target p99 < 1 ms); primary-key fetch p50 $(spread upgrades_listing_p50_ms 6 %.3f) ms, p99 $(spread upgrades_listing_p99_ms 6 %.3f) ms;" \
    "ratio p99 $(median_ratio upgrades_listing_p99_ms)"
say "8. customer list --search on the server: p50 $(spread customer_search_p50_ms 3 %.3f) ms, p99 $(spread customer_search_p99_ms 3 %.3f) ms;" \
    "subscription show (the Details page): p50 $(spread subscription_show_p50_ms 3 %.3f) ms, p99 $(spread subscription_show_p99_ms 3 %.3f) ms" \
    "(target p99 < 2 ms each; baseline: the upgrades listing); the search's plan: $out/flow_latency"
# Figure 5 before 3./4.: the reports on the dataset as built (SCALE customers, ~3
# subscriptions each), before the batch figures add customers and targets to it.
DATABASE_URL=$url PGDATABASE=bench SUBCTL_PARTNER=$partner BENCH_CSV=$csv BUILD_DIR=$build \
    "$here/reports_bench.sh" | tee -a "$summary"
# Figure 7: the audit chain's cost per write (chain trigger on vs off, same session, rolled back).
PGDATABASE=bench psql -qX -v ON_ERROR_STOP=1 -v partner="$partner" -v rounds="$((repeats * 2 + 1))" \
    -f "$here/chain_cost.sql" >"$out/chain_cost"
chain_ms=$(sed -n 's/^chain,//p' "$out/chain_cost") no_chain_ms=$(sed -n 's/^no_chain,//p' "$out/chain_cost")
record chain_license_change_ms 1 "$chain_ms" ms no_chain_license_change_ms "$no_chain_ms"
say "7. audit chain: a license change (one event) takes $chain_ms ms on the server with the chain," \
    "$no_chain_ms ms with its trigger off; ratio $(median_ratio chain_license_change_ms)"
if [ -x "$here/batch_bench.sh" ]; then
    DATABASE_URL=$url PGDATABASE=bench SUBCTL_PARTNER=$partner BENCH_DIR=$out BENCH_CSV=$csv \
        "$here/batch_bench.sh" "$build" | tee -a "$summary"
else
    say "3. batch: not available"
    say "4. batch peak RSS: not available"
fi
if [ -x "$here/hot_batch_bench.sh" ]; then
    DATABASE_URL=$url PGDATABASE=bench SUBCTL_PARTNER=$partner BENCH_DIR=$out BENCH_CSV=$csv \
        "$here/hot_batch_bench.sh" "$build" | tee -a "$summary"
fi
if [ -x "$here/assign_batch_bench.sh" ]; then
    DATABASE_URL=$url PGDATABASE=bench SUBCTL_PARTNER=$partner BENCH_DIR=$out BENCH_CSV=$csv \
        "$here/assign_batch_bench.sh" "$build" | tee -a "$summary"
fi
# Figure 6, only with BENCH_HA=1: a synchronous standby's cost, on its own pair.
[ "${BENCH_HA:-0}" != 1 ] || BENCH_CSV=$csv "$here/ha_bench.sh" "$build" | tee -a "$summary"
say "bench finished in $((SECONDS - start))s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$csv" "$out/results.csv" && cp "$summary" "$out/summary.txt"
