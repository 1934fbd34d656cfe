#!/usr/bin/env bash
# Figure 5 of `make bench` (each report view answers on 300,000 subscriptions in under
# 1 s), run by tests/bench/run.sh on its bench database after figures 1 and 2:
# every view of schema `report`, answered whole for a login mapped to the bench partner:
# the server's execution time of SELECT * (EXPLAIN ANALYZE without per-node timing: every
# row and column computed, nothing sent), against the baseline of the owner reading the
# whole core.subscriptions table the same way. Before timing, each of the partner's active
# subscriptions gets one license change (set-based, audited as the partner), so that the
# history views have a realistic trail to read, not only the dataset's own inserts.
#   reports_bench.sh   environment (from run.sh): PGHOST, PGUSER, PGDATABASE, SUBCTL_PARTNER,
#   BENCH_CSV, BUILD_DIR; REPORT_REPEATS (3)
set -euo pipefail
partner=$SUBCTL_PARTNER csv=$BENCH_CSV repeats=${REPORT_REPEATS:-3}
reporter=bench_reporter

psql -qX -v ON_ERROR_STOP=1 -v partner="$partner" -v reporter="$reporter" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'reporter') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'reporter') \gexec
SELECT format('GRANT subctl_reporter TO %I', :'reporter') WHERE NOT pg_has_role(:'reporter', 'subctl_reporter', 'MEMBER') \gexec
BEGIN;
SELECT set_config('subctl.partner_id', :'partner', true), logic.begin_operation('add_licenses');
UPDATE core.subscriptions s SET quantity = s.quantity + 1
FROM core.offers o
WHERE o.id = s.offer_id AND s.partner_id = :'partner' AND s.status = 'active' AND s.quantity < o.max_quantity;
COMMIT;
VACUUM ANALYZE;  -- what autovacuum does after such a mass change: the steady state is measured
SQL
"$BUILD_DIR/subctl" -q partner map-login "$reporter" "$partner" >/dev/null

timed() {  # user relation: the server's execution time in ms of SELECT * FROM relation
    psql -XAt -U "$1" -c 'SET jit = off' -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT * FROM $2" |
        sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
}
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
subscriptions=$(psql -XAtc "SELECT count(*) FROM core.subscriptions")
events=$(psql -XAtc "SELECT count(*) FROM core.audit_events WHERE partner_id = '$partner'")
baseline=$(for _ in $(seq "$repeats"); do
    timed "$PGUSER" core.subscriptions; done | median)
slowest=0 lines=()
for view in $(psql -XAtc "SELECT viewname FROM pg_views WHERE schemaname = 'report' ORDER BY 1"); do
    ms=$(for _ in $(seq "$repeats"); do
        timed "$reporter" "report.$view"; done | median)
    rows=$(psql -XAt -U "$reporter" -c "SELECT count(*) FROM report.$view")
    echo "report_${view}_ms,1,$ms,ms,owner_reads_subscriptions_ms,$baseline,$(awk -v a="$ms" -v b="$baseline" 'BEGIN { printf "%.3f", a / b }')" >>"$csv"
    lines+=("$view $ms ms ($rows rows)")
    slowest=$(awk -v a="$ms" -v b="$slowest" 'BEGIN { print (a > b ? a : b) }')
done
echo "5. report views read whole by a reporter of $partner ($subscriptions subscriptions, $events audit events of the partner; median of $repeats):" \
     "$(IFS=';'; echo "${lines[*]}" | sed 's/;/; /g');" \
     "slowest $slowest ms (target < 1000 ms); baseline: the owner reads all subscriptions in $baseline ms; ratio slowest/baseline" \
     "$(awk -v a="$slowest" -v b="$baseline" 'BEGIN { printf "%.2f", a / b }')"
