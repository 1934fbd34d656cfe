#!/usr/bin/env bash
# `make test`: a throwaway PostgreSQL cluster, every suite against it, the cluster
# removed afterwards (also when a suite fails). Usage: run-tests.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/${1:-build}
support=$root/tests/support
dir=$(mktemp -d /tmp/subctl-test.XXXXXX)
trap '"$support/cluster.sh" remove "$dir"' EXIT

DATABASE_URL=$("$support/cluster.sh" start "$dir" subctl) || exit 1
export DATABASE_URL PGHOST=$dir/run PGUSER=postgres PGDATABASE=subctl
export SUBCTL_BINARY=$build/subctl SUBCTL_HOME=$root SUBCTL_TEST_CLUSTER=$dir
unset SUBCTL_PARTNER SUBCTL_OPERATOR SUBCTL_CONFIG

passed=0 failed=0
suite() {  # suite NAME COMMAND...: runs one suite, counts it
    local name=$1; shift
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== $name FAILED"; fi
}

"$build/subctl" migrate -q >/dev/null && "$build/subctl" catalog apply -q >/dev/null || { echo "migrate failed"; exit 1; }
psql -qX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap' -f "$support/pgtap-fixtures.sql" >/dev/null || exit 1

suite "schema dump matches tests/schema/schema.sql" "$support/schema-dump.sh" --check
suite "pgTAP (tests/sql)" pg_prove --quiet --failures -r "$root/tests/sql" --ext .sql
suite "Catch2 (unit and [db])" "$build/subctl_tests"
[ -d "$root/tests/isolation/specs" ] && suite "isolation (tests/isolation)" "$support/run-isolation.sh"

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
