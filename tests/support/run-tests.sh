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
suite "migrate on the previous release's database (tests/schema/previous-release.sql)" \
    "$support/schema-dump.sh" --check-previous-release
suite "pgTAP (tests/sql)" pg_prove --quiet --failures -r "$root/tests/sql" --ext .sql
suite "plpgsql_check (every PL/pgSQL function; tests/lint)" pg_prove --quiet --failures "$root/tests/lint/plpgsql_check.sql"
suite "Catch2 (unit and [db])" "$build/subctl_tests"
[ -d "$root/tests/isolation/specs" ] && suite "isolation (tests/isolation)" "$support/run-isolation.sh"
suite "stress (short: 3000 operations, invariants)" env OPERATIONS=3000 "$root/tests/stress/run.sh" "$build"
suite "crash (pg_ctl stop -m immediate mid-stream, exactly once)" "$root/tests/stress/crash_test.sh" "$build"
suite "replica reads (standby while writing, lag fallback; tests/ha)" "$root/tests/ha/replica_test.sh" "$build"
suite "failover (kill -9 the primary mid-batch, promote, re-run: exactly once; twice)" \
    env FAILOVER_ROWS=5000 FAILOVERS=2 "$root/tests/ha/failover_test.sh" "$build"
suite "hostile input (exit codes, data unchanged)" bash -c '"$0" "$1" >/dev/null' "$root/tests/fuzz/hostile_inputs.sh" "$build"

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
