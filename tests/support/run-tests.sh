#!/usr/bin/env bash
# `make test`: a throwaway PostgreSQL cluster, every suite against it, the cluster
# removed afterwards (also when a suite fails).
#   run-tests.sh BUILD_DIR [SUITE]   every suite, or only SUITE (what each ctest entry runs)
#   run-tests.sh --list              the suites' names, one a line (read by CMakeLists.txt)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
support=$root/tests/support

suite() {  # suite KEY DESCRIPTION COMMAND...: runs one suite (unless another is chosen), counts it
    local key=$1 name=$2; shift 2
    if [ "$mode" = list ]; then echo "$key"; return; fi
    [ -z "$only" ] || [ "$only" = "$key" ] || return 0
    echo "== $name"
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "== $name FAILED"; fi
}

suites() {
    suite schema "schema dump matches tests/schema/schema.sql" "$support/schema-dump.sh" --check
    suite previous "migrate on the previous release's database (tests/schema/previous-release.sql)" \
        "$support/schema-dump.sh" --check-previous-release
    suite pgtap "pgTAP (tests/sql)" pg_prove --quiet --failures -r "$root/tests/sql" --ext .sql
    suite lint "plpgsql_check (every PL/pgSQL function; tests/lint)" \
        pg_prove --quiet --failures "$root/tests/lint/plpgsql_check.sql"
    suite catch2 "Catch2 (unit and [db])" "$build/subctl_tests"
    suite isolation "isolation (tests/isolation)" "$support/run-isolation.sh"
    suite stress "stress (short: 3000 operations, invariants)" env OPERATIONS=3000 "$root/tests/stress/run.sh" "$build"
    suite crash "crash (pg_ctl stop -m immediate mid-stream, exactly once)" "$root/tests/stress/crash_test.sh" "$build"
    suite replica "replica reads (standby while writing, lag fallback; tests/ha)" "$root/tests/ha/replica_test.sh" "$build"
    suite failover "failover (kill -9 the primary mid-batch, promote, re-run: exactly once; twice)" \
        env FAILOVER_ROWS=5000 FAILOVERS=2 "$root/tests/ha/failover_test.sh" "$build"
    suite hostile "hostile input (exit codes, data unchanged)" \
        bash -c '"$0" "$1" >/dev/null' "$root/tests/fuzz/hostile_inputs.sh" "$build"
}

if [ "${1:-}" = --list ]; then
    mode=list only='' build=''
    suites
    exit 0
fi
mode=run only=${2:-} passed=0 failed=0
case ${1:-build} in /*) build=${1} ;; *) build=$root/${1:-build} ;; esac

dir=$(mktemp -d /tmp/subctl-test.XXXXXX)
trap '"$support/cluster.sh" remove "$dir"' EXIT
DATABASE_URL=$("$support/cluster.sh" start "$dir" subctl) || exit 1
export DATABASE_URL PGHOST=$dir/run PGUSER=postgres PGDATABASE=subctl
export SUBCTL_BINARY=$build/subctl SUBCTL_HOME=$root SUBCTL_TEST_CLUSTER=$dir
unset SUBCTL_PARTNER SUBCTL_OPERATOR SUBCTL_CONFIG

"$build/subctl" migrate -q >/dev/null && "$build/subctl" catalog apply -q >/dev/null || { echo "migrate failed"; exit 1; }
psql -qX -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS pgtap' -f "$support/pgtap-fixtures.sql" >/dev/null || exit 1

suites
if [ -n "$only" ] && [ $((passed + failed)) -eq 0 ]; then
    echo "run-tests: no suite named $only (run-tests.sh --list)" >&2
    exit 64
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
