#!/usr/bin/env bash
# Failover test (SPEC 7.4): a primary and its synchronous standby
# (tests/support/ha.sh, a throwaway pair under /tmp); a batch of FAILOVER_ROWS add_licenses
# rows (ten rounds over FAILOVER_ROWS / 10 subscriptions, each round spread over the file)
# run by `subctl batch run` through the multi-host URL; the primary killed with kill -9
# (postmaster and every backend) once a quarter of the rows is applied; the standby
# promoted (pg_ctl promote); the same batch re-run against the same URL. Passes when:
#   - the interrupted run and every command during the outage exit 69 or 75 with one
#     `subctl:` line and nothing else (a write sent to the standby alone: 69
#     database_read_only); reads through the replica URL still answer;
#   - nothing the old primary had shown as committed is missing on the promoted standby;
#   - the re-run finishes: every row applied exactly once (each subscription got exactly
#     the licenses of its rows, one request id and one audit event per row);
#   - tests/stress/invariants.sql reports no violation (audit hash chains included) and
#     `subctl audit verify` finds every chain whole.
# Then the old primary comes back as the standby (pg_rewind, else pg_basebackup) and the
# same is done again with the roles swapped: FAILOVERS (2) failovers in all.
#   failover_test.sh BUILD_DIR   environment: FAILOVER_ROWS (30000), FAILOVERS (2)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
support=$root/tests/support
subscriptions=$(( ${FAILOVER_ROWS:-30000} / 10 )) failovers=${FAILOVERS:-2}
rows=$((subscriptions * 10))
[ "$subscriptions" -ge 10 ] || { echo "failover: FAILOVER_ROWS must be at least 100" >&2; exit 64; }
dir=$(mktemp -d /tmp/subctl-failover.XXXXXX)
batch_pid=
trap '[ -z "$batch_pid" ] || kill "$batch_pid" 2>/dev/null || true; "$support/ha.sh" remove "$dir"' EXIT

{ read -r url; read -r replica_url; } < <("$support/ha.sh" start "$dir" subctl)
unset PGHOST PGDATABASE SUBCTL_PARTNER SUBCTL_OPERATOR SUBCTL_CONFIG SUBCTL_REPLICA_URL SUBCTL_MAX_LAG DATABASE_URL
export SUBCTL_HOME=$root PGUSER=postgres
subctl() { "$build/subctl" --db "$url" "$@"; }
on() { psql -h "$dir/$1/run" -XAtq -v ON_ERROR_STOP=1 -c "$2" subctl; }  # on NODE SQL
subctl migrate -q >/dev/null
subctl catalog apply -q >/dev/null
subctl partner add failover --name Failover -q >/dev/null
psql "$url" -XAtq -v ON_ERROR_STOP=1 -v n="$subscriptions" >/dev/null <<'SQL'
INSERT INTO core.customers (id, name, created_by_partner_id)
SELECT gen_random_uuid(), 'Failover ' || i, 'failover' FROM generate_series(1, :n) AS i;
INSERT INTO core.subscriptions (customer_id, offer_id, quantity, billing_cycle, channel, partner_id, recorded_by_partner_id)
SELECT id, 'o365-e3', 10, 'monthly', 'csp', 'failover', 'failover' FROM core.customers WHERE created_by_partner_id = 'failover';
SQL

failures=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi; }
# "exit lines other": the exit code, the subctl: lines and the other lines of a run's stderr
outcome() { echo "$1 $(grep -c '^subctl: ' "$2") $(grep -vc '^subctl: ' "$2")"; }
clean_failure() { [[ $1 =~ ^(69|75)\ 1\ 0$ ]]; }
done_rows() { on "$1" "SELECT count(*) FROM core.batch_rows WHERE batch_id = '$2' AND status <> 'pending'"; }

primary=a standby=b
for k in $(seq 1 "$failovers"); do
    name=failover-$k file=$dir/batch-$k.csv
    first=$(((k - 1) * 10 + 1)) last=$((k * 10))
    expected=$((10 + last * (last + 1) / 2))  # 10 licenses, then 1 + 2 + ... + last
    rows_sql="SELECT 'add_licenses' AS action, s.id AS subscription_id, NULL AS target_offer, r AS quantity,
        NULL AS request_id FROM core.subscriptions s, generate_series($first, $last) AS r
        WHERE s.partner_id = 'failover' ORDER BY r, s.id"
    psql "$url" -XAtq -v ON_ERROR_STOP=1 -c "\\copy ($(echo $rows_sql)) TO '$file' (FORMAT csv, HEADER)"
    echo "-- failover $k: $rows rows, primary $primary killed with kill -9 mid-batch, standby $standby promoted"

    subctl --partner failover -q batch run "$file" --name "$name" --chunk-size 100 >/dev/null 2>"$dir/run.err" &
    batch_pid=$!
    until [ "$(done_rows "$primary" "$name")" -ge $((rows / 4)) ]; do
        kill -0 "$batch_pid" 2>/dev/null || { echo "FAIL the batch ended before a quarter of it was applied:"; cat "$dir/run.err"; exit 1; }
        sleep 0.02
    done
    seen=$(done_rows "$primary" "$name")
    "$support/ha.sh" kill "$dir" "$primary"
    code=0; wait "$batch_pid" || code=$?
    batch_pid=
    interrupted=$(outcome "$code" "$dir/run.err")
    check "the interrupted run exited 69 or 75 with one subctl: line ($(head -c 160 "$dir/run.err"))" 'clean_failure "$interrupted"'
    check "it stopped mid-batch ($seen of $rows rows applied before the kill)" '[ "$seen" -lt "$rows" ]'

    # The outage: the old primary is dead, the standby not promoted yet.
    code=0; subctl --partner failover -q batch run "$file" --name "$name" >/dev/null 2>"$dir/outage.err" || code=$?
    check "a re-run during the outage: 69/75, one line ($(head -c 120 "$dir/outage.err"))" 'clean_failure "$(outcome "$code" "$dir/outage.err")"'
    sub=$(on "$standby" "SELECT id FROM core.subscriptions WHERE partner_id = 'failover' LIMIT 1")
    code=0; "$build/subctl" --db "postgresql://postgres@/subctl?host=$dir/$standby/run" --partner failover \
        licenses add "$sub" 1 >/dev/null 2>"$dir/standby.err" || code=$?
    check "a write sent to the standby alone: 69 database_read_only, one line" \
          'clean_failure "$(outcome "$code" "$dir/standby.err")" && grep -q "^subctl: database_read_only: " "$dir/standby.err"'
    code=0; subctl --replica "$replica_url" --partner failover -o json batch list >"$dir/list.json" 2>"$dir/list.err" || code=$?
    check "reads through the replica URL still answer during the outage" '[ "$code" -eq 0 ] && grep -q "\"$name\"" "$dir/list.json"'

    "$support/ha.sh" promote "$dir" "$standby"
    kept=$(done_rows "$standby" "$name")
    check "nothing the old primary showed committed is lost ($kept >= $seen rows on the promoted standby)" '[ "$kept" -ge "$seen" ]'

    code=0; subctl --partner failover -q -o json batch run "$file" --name "$name" >"$dir/rerun.json" 2>"$dir/rerun.err" || code=$?
    check "the re-run through the same URL finishes (exit $code)" '[ "$code" -eq 0 ] || { cat "$dir/rerun.err"; false; }'
    applied=$(sed -n 's/^ *"applied": \([0-9]*\),*$/\1/p' "$dir/rerun.json")
    already=$(sed -n 's/^ *"already_applied": \([0-9]*\),*$/\1/p' "$dir/rerun.json")
    check "the re-run applied the rest: $applied applied + $already already applied = $rows" \
          '[ "$((applied + already))" -eq "$rows" ] && [ "$already" -ge "$kept" ]'
    check "every subscription got each row's licenses exactly once (quantity $expected)" \
          '[ "$(on "$standby" "SELECT count(*) FROM core.subscriptions WHERE partner_id = '\''failover'\'' AND quantity <> $expected")" -eq 0 ]'
    check "one request id per row" \
          '[ "$(on "$standby" "SELECT count(*) FROM core.request_ids WHERE partner_id = '\''failover'\'' AND request_id LIKE '\''$name:%'\''")" -eq "$rows" ]'
    check "one audit event per row, none missing, none twice" \
          '[ "$(on "$standby" "SELECT count(*) || '\'' '\'' || count(DISTINCT request_id) FROM core.audit_events
                 WHERE batch_id = '\''$name'\'' AND operation = '\''add_licenses'\'' AND outcome = '\''succeeded'\'' AND source = '\''batch'\''")" = "$rows $rows" ]'
    check "invariants hold (tests/stress/invariants.sql)" \
          'psql "$url" -X -v ON_ERROR_STOP=1 -f "$root/tests/stress/invariants.sql" </dev/null >"$dir/invariants" 2>&1 || { cat "$dir/invariants"; false; }'
    check "every audit chain verifies (subctl audit verify)" 'subctl -o json audit verify >/dev/null 2>"$dir/verify.err" || { cat "$dir/verify.err"; false; }'

    if [ "$k" -lt "$failovers" ]; then
        "$support/ha.sh" rejoin "$dir" "$primary"
        check "$primary is back as the synchronous standby of $standby" \
              '[ "$(on "$standby" "SELECT sync_state FROM pg_stat_replication WHERE application_name = '\''$primary'\''")" = sync ]'
        old=$primary primary=$standby standby=$old
    fi
done
echo "failover: $failovers failover(s) of $rows rows each, $failures failed check(s)"
[ "$failures" -eq 0 ]
