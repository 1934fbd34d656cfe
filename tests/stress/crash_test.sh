#!/usr/bin/env bash
# Crash test: parallel streams of single upgrades (build/subctl processes, each with a
# request id) while PostgreSQL is stopped with `pg_ctl stop -m immediate` and restarted;
# then every request is re-run with its request id. Passes when every failure during the
# outage was clean (exit 69 or 75, one `subctl:` line plus at most a hint), every request
# took effect exactly once, and tests/stress/invariants.sql holds.
#   crash_test.sh BUILD_DIR    (its own throwaway cluster)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
support=$root/tests/support
streams=4
dir=$(mktemp -d /tmp/subctl-crash.XXXXXX)
trap '"$support/cluster.sh" remove "$dir"' EXIT

url=$("$support/cluster.sh" start "$dir" subctl)
export PGHOST=$dir/run PGUSER=postgres PGDATABASE=subctl SUBCTL_HOME=$root SUBCTL_PARTNER=stress-a
"$build/subctl" --db "$url" migrate -q >/dev/null
"$build/subctl" --db "$url" catalog apply -q >/dev/null
psql -qX -v ON_ERROR_STOP=1 -v customers=300 -f "$root/tests/stress/seed.sql" >/dev/null
# One eligible upgrade per customer, so that no request makes another ineligible.
psql -XAt -F' ' -c "SELECT DISTINCT ON (customer_id) 'crash-' || row_number() OVER (), subscription_id, target_offer_id
                    FROM logic.upgrade_evaluations(ARRAY(SELECT id FROM core.customers), 'stress-a') WHERE error_codes = '{}'
                    ORDER BY customer_id, target_offer_id" >"$dir/requests"
total=$(wc -l <"$dir/requests")

run_stream() {  # run_stream K: every streams-th request from the K-th; "request exit stderr-lines bad-lines"
    awk -v k="$1" -v n="$streams" 'NR % n == k' "$dir/requests" | while read -r id subscription target; do
        code=0
        "$build/subctl" --db "$url" -o json upgrade "$subscription" --to "$target" --request-id "$id" \
            >/dev/null 2>"$dir/err.$1" || code=$?
        # libpq's own default notice processor may print the server's shutdown warning
        # for a connection caught while being set up, before libpqxx 6.4 lets subctl
        # install its handler (seen once in ~10 runs); that line is allowed, nothing else.
        echo "$id $code $(grep -c '^subctl: ' "$dir/err.$1") $(grep -vc -e '^subctl: ' -e '^hint: ' \
            -e '^WARNING:  terminating connection due to immediate shutdown command$' "$dir/err.$1")"
        [ "$code" -eq 0 ] || { echo "== $id exit $code"; cat "$dir/err.$1"; } >>"$dir/failures"
    done
}
done_count() { cat "$dir"/stream.* 2>/dev/null | wc -l; }

pids=()
for k in $(seq 0 $((streams - 1))); do run_stream "$k" >"$dir/stream.$k" & pids+=($!); done
until [ "$(done_count)" -ge $((total / 3)) ]; do sleep 0.05; done
"$support/cluster.sh" stop "$dir"                      # pg_ctl stop -m immediate
until [ "$(done_count)" -ge $((total / 2)) ]; do sleep 0.05; done
"$support/cluster.sh" start "$dir" subctl >/dev/null   # crash recovery
wait "${pids[@]}"

failures=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi; }
cat "$dir"/stream.* >"$dir/first"
interrupted=$(awk '$2 != 0' "$dir/first" | wc -l)
echo "crash: $total upgrades in $streams streams, $interrupted failed during the outage" \
     "(exit codes: $(awk '{print $2}' "$dir/first" | sort -n | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=", "}'))"
check "some requests failed during the outage" '[ "$interrupted" -gt 0 ]'
check "every failure exited 69 or 75" '[ "$(awk '\''$2 != 0 && $2 != 69 && $2 != 75'\'' "$dir/first" | wc -l)" -eq 0 ]'
check "every failure printed one subctl: line and nothing else but a hint" \
      '[ "$(awk '\''$2 != 0 && ($3 != 1 || $4 != 0)'\'' "$dir/first" | wc -l)" -eq 0 ] ||
       { awk '\''$2 != 0 && ($3 != 1 || $4 != 0) {print "== " $1 " exit"}'\'' "$dir/first" | grep -A3 -F -f - "$dir/failures"; false; }'

# Re-run every request with its request id: each must now report succeeded. Exactly once:
# one target, and two events of subscriptions (the seed's users' licenses that moved have
# theirs besides, checked by the invariants).
: >"$dir/client.csv"
while read -r id subscription target; do
    status=$("$build/subctl" --db "$url" -o json upgrade "$subscription" --to "$target" --request-id "$id" 2>/dev/null \
             | sed -n 's/^ *"status": "\(.*\)",*$/\1/p' | head -1) || true
    echo "$id,stress-a,upgrade,${status:-none}" >>"$dir/client.csv"
done <"$dir/requests"
check "every re-run request reports succeeded" '[ "$(grep -vc ",succeeded$" "$dir/client.csv")" -eq 0 ]'
check "each request upgraded its subscription exactly once" '[ "$(psql -XAt -c "
    SELECT count(*) FROM core.request_ids q
    WHERE q.request_id LIKE '\''crash-%'\'' AND q.result ->> '\''status'\'' = '\''succeeded'\''
      AND (SELECT count(*) FROM core.subscriptions t
           WHERE t.upgraded_from_subscription_id = (q.parameters ->> '\''subscription_id'\'')::uuid) = 1
      AND (SELECT count(*) FROM core.audit_events e
           WHERE e.request_id = q.request_id AND e.entity = '\''subscriptions'\'') = 2")" -eq "$total" ]'
check "invariants hold" 'psql -X -v ON_ERROR_STOP=1 -f "$root/tests/stress/invariants.sql" <"$dir/client.csv" >"$dir/invariants" 2>&1 || { cat "$dir/invariants"; false; }'
[ "$failures" -eq 0 ]
