#!/usr/bin/env bash
# Replica test (SPEC 7.4): a primary and its synchronous hot standby
# (tests/support/ha.sh, a throwaway pair under /tmp, every statement logged), then:
#   1. while a writer keeps changing licenses on the primary, every read command that may
#      lag (reports, the audit listing, the listings) run with --replica answers from the
#      standby: its statement is in the standby's log and not in the primary's, exit 0,
#      nothing on stderr; mutations given --replica still go to the primary;
#   2. with the standby's replay paused (pg_wal_replay_pause) and a write on the primary:
#      within --max-lag the standby's older answer is read; past it the primary's, with one
#      `subctl: replica_lagging:` line on stderr and exit 0 (from --max-lag,
#      SUBCTL_MAX_LAG and the config file alike);
#   3. caught up on an idle primary (its last replayed transaction older than --max-lag):
#      still the standby, no line; a replica that cannot be reached: the primary, one
#      `subctl: replica_unavailable:` line; a bad --max-lag / SUBCTL_MAX_LAG / replica URL:
#      exit 65 / 78, one line.
#   replica_test.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
support=$root/tests/support
dir=$(mktemp -d /tmp/subctl-replica.XXXXXX)
writer_pid=
trap '[ -z "$writer_pid" ] || kill "$writer_pid" 2>/dev/null || true; "$support/ha.sh" remove "$dir"' EXIT

{ read -r url; read -r replica_url; } < <(SUBCTL_PG_EXTRA_CONF="log_statement = 'all'" "$support/ha.sh" start "$dir" subctl)
unset PGHOST PGDATABASE SUBCTL_OPERATOR SUBCTL_CONFIG SUBCTL_REPLICA_URL SUBCTL_MAX_LAG DATABASE_URL
export SUBCTL_HOME=$root PGUSER=postgres SUBCTL_PARTNER=replica
subctl() { "$build/subctl" --db "$url" "$@"; }
on() { psql -h "$dir/$1/run" -XAtq -v ON_ERROR_STOP=1 -c "$2" subctl; }  # on NODE SQL
json_field() { sed -n "s/^ *\"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},*$/\1/p" | head -1; }
subctl migrate -q >/dev/null
subctl catalog apply -q >/dev/null
subctl --partner '' partner add replica --name Replica -q >/dev/null
customer=$(subctl -o json customer add --name "Replica customer" | json_field id)
subctl relationship request "$customer" -q >/dev/null && subctl relationship accept "$customer" -q >/dev/null
watched=$(subctl -o json subscription add "$customer" --offer o365-business --quantity 10 | json_field id)
written=$(subctl -o json subscription add "$customer" --offer o365-e3 --quantity 10 | json_field id)
printf 'action,subscription_id,target_offer,quantity,request_id\nadd_licenses,%s,,1,\n' "$written" >"$dir/batch.csv"
subctl batch run "$dir/batch.csv" --name replica-batch -q >/dev/null

failures=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi; }
executed() { grep -c "execute $2:" "$dir/$1/postgres.log" || true; }  # executed NODE STATEMENT: how often
# read STATEMENT ARGS...: runs subctl ARGS; "code stderr-lines primary+ standby+" (statement executions added)
read_on() {
    local statement=$1 a b code=0; shift
    a=$(executed a "$statement") b=$(executed b "$statement")
    "$build/subctl" --db "$url" "$@" >"$dir/out" 2>"$dir/err" || code=$?
    echo "$code $(wc -l <"$dir/err") $(($(executed a "$statement") - a)) $(($(executed b "$statement") - b))"
}
quantity() { json_field quantity <"$dir/out"; }

echo "-- 1. reads on the standby while a writer changes licenses on the primary"
: >"$dir/writes"
( for i in $(seq 1 400); do
      [ -f "$dir/stop" ] && break
      code=0; "$build/subctl" --db "$url" licenses add "$written" 1 --request-id "w-$i" -q >/dev/null 2>&1 || code=$?
      echo "$code" >>"$dir/writes"
  done ) &
writer_pid=$!
until [ "$(wc -l <"$dir/writes")" -ge 3 ]; do sleep 0.05; done
while read -r statement command; do
    # shellcheck disable=SC2086
    result=$(read_on "$statement" --replica "$replica_url" -o json $command)
    check "$command: read on the standby, exit 0, nothing on stderr ($result: exit, stderr lines, primary, standby)" \
          '[[ $result =~ ^0\ 0\ 0\ [1-9]$ ]] || { cat "$dir/err"; false; }'
done <<COMMANDS
reports report list
report_rows report show licenses
audit_events audit --customer $customer
customers customer list
subscriptions subscription list
subscription_details subscription show $watched
relationships relationship list
upgrades upgrades $watched
batches batch list
batch_rows batch show replica-batch
catalog catalog show
COMMANDS
touch "$dir/stop"; wait "$writer_pid"; writer_pid=
result=$(read_on licenses_change --replica "$replica_url" licenses add "$watched" 1 -q)
check "a mutation given --replica goes to the primary ($result)" '[ "$result" = "0 0 1 0" ]'
writes=$(wc -l <"$dir/writes")
check "the writer's $writes license changes all succeeded meanwhile" '[ "$writes" -ge 3 ] && [ "$(grep -vc "^0$" "$dir/writes")" -eq 0 ]'
for _ in $(seq 1 100); do
    [ "$(on b "SELECT quantity FROM core.subscriptions WHERE id = '$written'")" = $((11 + writes)) ] && break; sleep 0.05
done
result=$(read_on subscription_details --replica "$replica_url" -o json subscription show "$written")
check "the standby shows every write once replayed (quantity $((11 + writes)))" '[ "$(quantity)" = $((11 + writes)) ] && [ "$result" = "0 0 0 1" ]'

echo "-- 2. lag: the standby's replay paused, a write on the primary"
on b "SELECT pg_wal_replay_pause()" >/dev/null
subctl licenses add "$watched" 5 -q >/dev/null  # 11 -> 16 on the primary only
result=$(read_on subscription_details --replica "$replica_url" --max-lag 3600 -o json subscription show "$watched")
check "within --max-lag: the standby's answer (quantity 11, not yet 16), no line ($result)" \
      '[ "$result" = "0 0 0 1" ] && [ "$(quantity)" = 11 ]'
sleep 1.2
result=$(read_on subscription_details --replica "$replica_url" --max-lag 1 -o json subscription show "$watched")
check "past --max-lag 1: the primary's answer (16), exit 0, one replica_lagging line ($result)" \
      '[ "$result" = "0 1 1 0" ] && [ "$(quantity)" = 16 ] && grep -q "^subctl: replica_lagging: .*more than --max-lag 1 s, and its replay is paused; read the primary$" "$dir/err" || { cat "$dir/err"; false; }'
result=$(SUBCTL_REPLICA_URL=$replica_url SUBCTL_MAX_LAG=1 read_on subscription_details -o json subscription show "$watched")
check "the same from SUBCTL_REPLICA_URL and SUBCTL_MAX_LAG ($result)" \
      '[ "$result" = "0 1 1 0" ] && [ "$(quantity)" = 16 ] && grep -q "(from SUBCTL_REPLICA_URL).*(from SUBCTL_MAX_LAG)" "$dir/err"'
printf '[database]\nreplica_url = "%s"\nmax_lag = 1\n' "$replica_url" >"$dir/subctl.toml"
result=$(read_on subscription_details --config "$dir/subctl.toml" -o json subscription show "$watched")
check "the same from the config file's replica_url and max_lag ($result)" \
      '[ "$result" = "0 1 1 0" ] && [ "$(quantity)" = 16 ] && grep -q "replica_url).*max_lag)" "$dir/err"'
result=$(SUBCTL_MAX_LAG=1 read_on subscription_details --config "$dir/subctl.toml" --max-lag 3600 -o json subscription show "$watched")
check "--max-lag wins over SUBCTL_MAX_LAG and the file ($result)" '[ "$result" = "0 0 0 1" ] && [ "$(quantity)" = 11 ]'
on b "SELECT pg_wal_replay_resume()" >/dev/null

echo "-- 3. an idle primary, an unreachable replica, bad values"
for _ in $(seq 1 100); do
    [ "$(on b "SELECT quantity FROM core.subscriptions WHERE id = '$watched'")" = 16 ] && break; sleep 0.05
done
sleep 1.5  # nothing written: the standby's last replayed transaction is older than 1 s
result=$(read_on subscription_details --replica "$replica_url" --max-lag 1 -o json subscription show "$watched")
check "caught up with an idle primary: the standby, no line ($result)" '[ "$result" = "0 0 0 1" ] && [ "$(quantity)" = 16 ] || { cat "$dir/err"; false; }'
result=$(read_on subscription_details --replica "postgresql://postgres@/subctl?host=$dir/nowhere" -o json subscription show "$watched")
check "an unreachable replica: the primary, exit 0, one replica_unavailable line ($result)" \
      '[ "$result" = "0 1 1 0" ] && grep -q "^subctl: replica_unavailable: " "$dir/err"'
result=$(read_on subscription_details --replica "postgresql://postgres@/subctl?host=$dir/a/run" -o json subscription show "$watched")
check "a replica URL naming the primary itself: read there, no line ($result)" '[ "$result" = "0 0 1 0" ]'
result=$(read_on subscription_details --replica "$replica_url" --max-lag soon subscription show "$watched")
check "--max-lag soon: exit 65, one line ($result)" '[ "$result" = "65 1 0 0" ] && grep -q "^subctl: invalid_argument: --max-lag " "$dir/err"'
result=$(SUBCTL_MAX_LAG=-1 read_on subscription_details --replica "$replica_url" subscription show "$watched")
check "SUBCTL_MAX_LAG=-1: exit 78, one line ($result)" '[ "$result" = "78 1 0 0" ] && grep -q "^subctl: invalid_environment: SUBCTL_MAX_LAG " "$dir/err"'
printf '[database]\nmax_lag = "10"\n' >"$dir/bad.toml"
result=$(read_on subscription_details --config "$dir/bad.toml" subscription show "$watched")
check "max_lag = \"10\" in the config file: exit 78, one line ($result)" '[ "$result" = "78 1 0 0" ] && grep -q "^subctl: config_invalid: .*max_lag must be a number" "$dir/err"'
result=$(read_on subscription_details --replica "not a url" subscription show "$watched")
check "--replica 'not a url': exit 78 naming --replica ($result)" '[ "$result" = "78 1 0 0" ] && grep -q "^subctl: invalid_database_url: --replica " "$dir/err"'
echo "replica: $failures failed check(s)"
[ "$failures" -eq 0 ]
