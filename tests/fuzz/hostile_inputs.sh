#!/usr/bin/env bash
# Hostile input through the real binary against a real database: each input must end
# with its documented exit code and one `subctl:` line, and leave the data unchanged
# (checksum of partners, customers, relationships, subscriptions, request ids). Prints
# the README's "Hostile input" table. Needs PGHOST/PGDATABASE (a migrated database with
# the catalog, as in `make test`).   hostile_inputs.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
subctl=$build/subctl
export SUBCTL_HOME=$root
partner=hostile-$RANDOM$RANDOM
scratch=$(mktemp -d /tmp/subctl-hostile.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

"$subctl" partner add "$partner" --name "Hostile input" >/dev/null || exit 1
export SUBCTL_PARTNER=$partner
customer=$("$subctl" -o json customer add --name "Hostile customer" | sed -n 's/^ *"id": "\(.*\)",*$/\1/p')
"$subctl" relationship request "$customer" >/dev/null && "$subctl" relationship accept "$customer" >/dev/null
subscription=$("$subctl" -o json subscription add "$customer" --offer o365-business --quantity 5 \
               | sed -n 's/^ *"id": "\(.*\)",*$/\1/p' | head -1)
[ -n "$subscription" ] || { echo "hostile: could not set up a subscription"; exit 1; }

# The records; a refused request's remembered result (every mutation is sent with a
# request id) is, like its audit event, the record of the attempt, not a change.
checksum() {
    psql -XAt -c "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
        SELECT to_jsonb(p)::text FROM core.partners p UNION ALL SELECT to_jsonb(c)::text FROM core.customers c
        UNION ALL SELECT to_jsonb(r)::text FROM core.relationships r UNION ALL SELECT to_jsonb(s)::text FROM core.subscriptions s
        UNION ALL SELECT to_jsonb(q)::text FROM core.request_ids q WHERE q.result ->> 'status' <> 'rejected') x (t)"
}
# Logins of the two lesser roles, and a database nobody migrated (removed on exit).
reporter=hostile_reporter_$RANDOM$RANDOM operator=hostile_operator_$RANDOM$RANDOM unmigrated=hostile_empty_$RANDOM$RANDOM
psql -qX -v ON_ERROR_STOP=1 -c "CREATE ROLE $reporter LOGIN IN ROLE subctl_reporter" \
     -c "CREATE ROLE $operator LOGIN IN ROLE subctl_operator" -c "CREATE DATABASE $unmigrated" || exit 1
trap 'rm -rf "$scratch"; psql -qX -c "DROP DATABASE IF EXISTS $unmigrated" -c "DROP ROLE IF EXISTS $reporter" -c "DROP ROLE IF EXISTS $operator" >/dev/null' EXIT
url="postgresql:///${PGDATABASE:-subctl}?host=${PGHOST:-/tmp}"
printf '[database]\nurl = 5\n' >"$scratch/wrong-type.toml"
printf 'action,subscription_id,target_offer,quantity,request_id\nsuspend,%s,,,x\xff\n' "$subscription" >"$scratch/bad-utf8.csv"
printf '[[offers]]\nid = "x"\n\xc3\xa9 = 1\n' >"$scratch/non-ascii.toml"
printf 'a = %s1%s\n' "$(printf '[%.0s' $(seq 1 5000))" "$(printf ']%.0s' $(seq 1 5000))" >"$scratch/deep.toml"
head -c 3000000 /dev/urandom >"$scratch/random.toml"
long=$(head -c 100000 /dev/zero | tr '\0' 'x')

failed=0
echo "| input | command | exit | outcome | data changed |"
echo "|---|---|---|---|---|"
try() {  # try DESCRIPTION EXPECTED_EXIT ARGS...
    local description=$1 expected=$2; shift 2
    local before after code=0
    before=$(checksum)
    "$subctl" "$@" >"$scratch/out" 2>"$scratch/err" || code=$?
    after=$(checksum)
    local line; line=$(grep -m1 '^subctl: ' "$scratch/err" | cut -c1-90 | tr '|' '/')
    local shown; shown=$(printf '%s ' "$@" | cut -c1-60 | tr '|\n' '/ ')
    local lines; lines=$(grep -c '^subctl: ' "$scratch/err")
    local changed=no; [ "$before" = "$after" ] || changed=YES
    # SPEC 7.1: exactly one line, never PostgreSQL's own text
    local all_lines; all_lines=$(wc -l <"$scratch/err")
    local raw=no; grep -qE 'ERROR:|FATAL:|violates|invalid input syntax|datestyle|byte sequence|^hint:' "$scratch/err" && raw=YES
    echo "| $description | \`$shown\` | $code | ${line:-$(head -c 80 "$scratch/err" | tr '\n|' ' /')} | $changed |"
    if [ "$code" != "$expected" ] || [ "$changed" != no ] || [ "$raw" != no ] ||
       { [ "$code" != 0 ] && { [ "$lines" != 1 ] || [ "$all_lines" != 1 ]; }; }; then
        echo "hostile: $description: exit $code (expected $expected), data changed: $changed, subctl: lines: $lines of $all_lines, raw PostgreSQL text: $raw" >&2; failed=1
    fi
}
try "SQL in a subscription id" 65 upgrade "'; DROP TABLE core.subscriptions; --" --to o365-e3
try "SQL in a target offer" 1 upgrade "$subscription" --to "o365-e3'; DELETE FROM core.subscriptions; --"
try "SQL in the acting partner" 1 --partner "x' OR '1'='1" upgrade "$subscription" --to o365-e3
try "quantity beyond 64 bits" 65 licenses add "$subscription" 99999999999999999999999
try "quantity zero" 65 licenses add "$subscription" 0
try "quantity negative" 65 licenses add "$subscription" " -5"
try "quantity beyond the offer (int32 max)" 1 licenses add "$subscription" 2147483647
try "version not a number" 65 upgrade "$subscription" --to o365-e3 --if-version 1e9
try "control characters in a name" 65 customer add --name $'Evil\e[31m\nName'
try "100 kB name" 65 customer add --name "$long"
try "invalid UTF-8 in a name" 65 customer add --name $'\xff\xfe\xfd'
try "201-character request id" 65 upgrade "$subscription" --to o365-e3 --request-id "${long:0:201}"
try "unknown output format" 64 -o xml customer list
try "unknown command" 64 frobnicate
try "expiry not a date" 65 relationship accept "$customer" --expires "yesterday-ish"
try "catalog: non-ASCII outside a string" 65 catalog apply "$scratch/non-ascii.toml"
try "catalog: 5000 nested arrays" 65 catalog apply "$scratch/deep.toml"
try "catalog: 3 MB of random bytes" 65 catalog apply "$scratch/random.toml"
try "database unreachable" 69 --db "postgresql://nobody@/nowhere?host=/nonexistent" upgrade "$subscription" --to o365-e3
try "a reporter runs an operation" 77 --db "$url&user=$reporter" upgrade "$subscription" --to o365-e3
try "an operator runs migrate" 77 --db "$url&user=$operator" migrate
try "an unmigrated database" 78 --db "$url&dbname=$unmigrated" customer list
try "a login the server does not know" 78 --db "$url&user=nobody_$RANDOM" customer list
try "a --db that is no URL" 78 --db "not a url" customer list
try "a config value of the wrong type" 78 --config "$scratch/wrong-type.toml" customer list
try "a config file that is a folder" 78 --config "$scratch" customer list
try "a domain with a blank" 65 customer add --name "Hostile domain" --domain "BAD DOMAIN"
try "a report filter of the wrong type" 65 report show licenses --where "customers>=abc"
try "a time that is no time" 65 audit --until 2026-13-45
try "invalid UTF-8 in a batch file" 65 batch run "$scratch/bad-utf8.csv"
exit "$failed"
