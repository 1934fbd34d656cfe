#!/usr/bin/env bash
# `make stress`: a fresh database `stress` with a small, hot dataset (seed.sql), N
# workers running a random mix of operations (subctl_stress), then the invariant checker
# (invariants.sql); exits non-zero on any violation or replay mismatch.
#   run.sh BUILD_DIR   environment: WORKERS (16), OPERATIONS (100000), CUSTOMERS (200),
#   SEED (1). Inside `make test` (SUBCTL_TEST_CLUSTER set) it uses that cluster;
#   otherwise its own under .local/stress-pg.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; [[ $build = /* ]] || build=$root/$build
here=$root/tests/stress
cluster=${SUBCTL_TEST_CLUSTER:-$root/.local/stress-pg}
out=$(mktemp -d /tmp/subctl-stress.XXXXXX)
own_cluster=${SUBCTL_TEST_CLUSTER:+no}
trap 'rm -rf "$out"; [ "${own_cluster:-yes}" = no ] || "$root/tests/support/cluster.sh" stop "$cluster"' EXIT

"$root/tests/support/cluster.sh" start "$cluster" postgres >/dev/null
export PGHOST=$cluster/run PGUSER=postgres PGDATABASE=stress SUBCTL_HOME=$root
url="postgresql://postgres@/stress?host=$cluster/run"
dropdb --if-exists stress && createdb stress
"$build/subctl" --db "$url" migrate -q >/dev/null
"$build/subctl" --db "$url" catalog apply -q >/dev/null
psql -qX -v ON_ERROR_STOP=1 -v customers="${CUSTOMERS:-200}" -f "$here/seed.sql" >/dev/null

"$build/subctl_stress" --db "$url" --subctl "$build/subctl" --workers "${WORKERS:-16}" --operations "${OPERATIONS:-100000}" \
    --seed "${SEED:-1}" --results "$out/results.csv"
psql -X -v ON_ERROR_STOP=1 -f "$here/invariants.sql" <"$out/results.csv"

# The checker can fail: with one thing broken per invariant (rolled back), it must.
if psql -X -1 -v ON_ERROR_STOP=1 -f "$here/corrupt.sql" -f "$here/invariants.sql" \
        <<<"corrupt-3,stress-a,upgrade,succeeded" >"$out/corrupt" 2>&1; then
    echo "invariants.sql passed a corrupted database:"; cat "$out/corrupt"; exit 1
fi
flagged=$(grep -cE '\| +[1-9][0-9]*$' "$out/corrupt" || true)
[ "$flagged" -ge 14 ] || { echo "invariants.sql flagged only $flagged invariants of a corrupted database:"; cat "$out/corrupt"; exit 1; }
echo "invariants.sql self-check: $flagged invariants flagged on a corrupted copy (rolled back)"
