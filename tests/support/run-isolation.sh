#!/usr/bin/env bash
# Runs the isolation specs (tests/isolation/specs/*.spec) with PostgreSQL's
# isolationtester against the database of DATABASE_URL (else libpq's PG* variables),
# which must be migrated with the catalog applied; each spec's setup makes its own data
# (tests/isolation/fixtures.sql). Each output must equal tests/isolation/expected/.
#   run-isolation.sh [SPEC...]   environment: REPEAT (1): runs of every spec in a row
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/isolation
. "$root/tests/support/pg-paths.sh"
tester=$pglib/pgxs/src/test/isolation/isolationtester
[ -x "$tester" ] || { echo "run-isolation: isolationtester not found in $pglib (Debian: postgresql-client-VERSION)" >&2; exit 78; }
conninfo=${DATABASE_URL:-}
repeat=${REPEAT:-1}
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=("$here"/specs/*.spec)
out=$(mktemp -d /tmp/subctl-isolation.XXXXXX)
trap 'rm -rf "$out"' EXIT

psql -qX -v ON_ERROR_STOP=1 ${conninfo:+"$conninfo"} -f "$here/fixtures.sql" >/dev/null || exit 1
failed=0
for run in $(seq 1 "$repeat"); do
    for spec in "${specs[@]}"; do
        name=$(basename "$spec" .spec)
        "$tester" "$conninfo" <"$spec" >"$out/$name.out" 2>&1
        if ! diff -u "$here/expected/$name.out" "$out/$name.out" >"$out/$name.diff"; then
            echo "isolation: $name differs from expected (run $run of $repeat):"
            cat "$out/$name.diff"
            failed=$((failed + 1))
        fi
    done
done
echo "isolation: ${#specs[@]} spec(s) x $repeat run(s), $failed failed"
[ "$failed" -eq 0 ]
