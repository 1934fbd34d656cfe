#!/usr/bin/env bash
# The schema as pg_dump sees it, normalised, committed as tests/schema/schema.sql so
# every schema change shows in review.
#   schema-dump.sh           regenerate it (migrating a fresh throwaway database)
#   schema-dump.sh --check   compare a freshly migrated database (PG* set) with it
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
committed=$root/tests/schema/schema.sql
normalise() { grep -vE '^(--|SET |SELECT pg_catalog.set_config|\\restrict|\\unrestrict)' | cat -s; }
dump() { pg_dump --schema-only --no-owner --no-privileges -n core -n logic -n api -n report "$@" | normalise; }

if [ "${1:-}" = --check ]; then
    psql -qAtX -c 'CREATE DATABASE subctl_schema_check' postgres
    trap 'psql -qAtX -c "DROP DATABASE IF EXISTS subctl_schema_check" postgres' EXIT
    "${SUBCTL_BINARY:-$root/build/subctl}" --db "postgresql:///subctl_schema_check?host=$PGHOST&user=${PGUSER:-postgres}" migrate >/dev/null
    if ! diff -u "$committed" <(dump subctl_schema_check); then
        echo "the migrated schema differs from tests/schema/schema.sql: run 'make schema-dump' and review the diff" >&2
        exit 1
    fi
    exit 0
fi

dir=$(mktemp -d /tmp/subctl-schema.XXXXXX)
trap '"$root/tests/support/cluster.sh" remove "$dir"' EXIT
url=$("$root/tests/support/cluster.sh" start "$dir" subctl)
"${SUBCTL_BINARY:-$root/build/subctl}" --db "$url" migrate >/dev/null
mkdir -p "$(dirname "$committed")"
PGHOST=$dir/run PGUSER=postgres dump subctl >"$committed"
echo "wrote $committed"
