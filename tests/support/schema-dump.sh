#!/usr/bin/env bash
# The schema as pg_dump sees it, normalised, committed as tests/schema/schema.sql so
# every schema change shows in review; and a database migrated by the previous release,
# committed as tests/schema/previous-release.sql, on which `subctl migrate` must still work.
#   schema-dump.sh                          regenerate schema.sql (migrating a fresh throwaway database)
#   schema-dump.sh --check                  compare a freshly migrated database (PG* set) with it
#   schema-dump.sh --previous-release REV   regenerate previous-release.sql: the subctl of git revision REV
#                                           (built in a temporary worktree, or PREVIOUS_BINARY with
#                                           PREVIOUS_HOME, its source tree) migrates a throwaway database,
#                                           applies its catalog and records a customer's subscription
#   schema-dump.sh --check-previous-release restore previous-release.sql into a fresh database (PG* set),
#                                           migrate it with this subctl: its schema must equal that of a
#                                           fresh migrate (schema.sql), its records must survive and its
#                                           audit chains still verify
# SUBCTL_BINARY names the subctl to run (default build/subctl).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
committed=$root/tests/schema/schema.sql
previous=$root/tests/schema/previous-release.sql
subctl=${SUBCTL_BINARY:-$root/build/subctl}
normalise() { grep -vE '^(--|SET |SELECT pg_catalog.set_config|\\restrict|\\unrestrict)' | cat -s; }
dump() { pg_dump --schema-only --no-owner --no-privileges -n core -n logic -n api -n report "$@" | normalise; }
# The records a migration must keep: the catalog, partners, customers, relationships,
# subscriptions (their identifying columns) and the audit trail's size.
records() {
    psql -qAtX -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT 'service', id, name FROM core.services ORDER BY 2;
SELECT 'service_plan', id, service_id FROM core.service_plans ORDER BY 2;
SELECT 'offer', id, service_id, name, min_quantity, max_quantity, is_add_on, retired FROM core.offers ORDER BY 2;
SELECT 'offer_cycle', offer_id, billing_cycle FROM core.offer_billing_cycles ORDER BY 2, 3;
SELECT 'offer_plan', offer_id, service_plan_id FROM core.offer_service_plans ORDER BY 2, 3;
SELECT 'add_on_parent', add_on_offer_id, parent_offer_id FROM core.offer_add_on_parents ORDER BY 2, 3;
SELECT 'upgrade_path', source_offer_id, target_offer_id FROM core.upgrade_paths ORDER BY 2, 3;
SELECT 'partner', id, name FROM core.partners ORDER BY 2;
SELECT 'customer', id, name FROM core.customers ORDER BY 2;
SELECT 'relationship', partner_id, customer_id, service_id, status FROM core.relationships ORDER BY 2, 3, 4;
SELECT 'subscription', id, customer_id, offer_id, quantity, billing_cycle, channel, status, version
FROM core.subscriptions ORDER BY 2;
SELECT 'audit_events', count(*) FROM core.audit_events;
SQL
}

case "${1:-}" in
--check)
    psql -qAtX -c 'CREATE DATABASE subctl_schema_check' postgres
    trap 'psql -qAtX -c "DROP DATABASE IF EXISTS subctl_schema_check" postgres' EXIT
    "$subctl" --db "postgresql:///subctl_schema_check?host=$PGHOST&user=${PGUSER:-postgres}" migrate >/dev/null
    if ! diff -u "$committed" <(dump subctl_schema_check); then
        echo "the migrated schema differs from tests/schema/schema.sql: run 'make schema-dump' and review the diff" >&2
        exit 1
    fi
    ;;
--check-previous-release)
    db=subctl_previous_release_check fresh=subctl_previous_release_fresh expected=subctl_previous_release_expected
    for d in "$db" "$fresh" "$expected"; do psql -qAtX -c "CREATE DATABASE $d" postgres; done
    trap 'for d in '"$db $fresh $expected"'; do psql -qAtX -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" postgres; done' EXIT
    url() { echo "postgresql:///$1?host=$PGHOST&user=${PGUSER:-postgres}"; }
    psql -qX -v ON_ERROR_STOP=1 -d "$db" -f "$previous" >/dev/null
    before=$(records "$db")
    [ -n "$before" ] || { echo "no records read from tests/schema/previous-release.sql" >&2; exit 1; }
    if ! "$subctl" --db "$(url "$db")" -q migrate >/dev/null; then
        echo "subctl migrate failed on the database of the previous release (tests/schema/previous-release.sql)" >&2
        exit 1
    fi
    # A restore re-parses what it restores (nested ANDs of a CHECK come back flat, a
    # column alias may go), so the schema is compared with a fresh migrate that went
    # through a dump, a restore and a second migrate as well; --check compares the fresh
    # migrate with schema.sql itself.
    "$subctl" --db "$(url "$fresh")" -q migrate >/dev/null
    pg_dump --no-owner "$fresh" | psql -qX -v ON_ERROR_STOP=1 -d "$expected" >/dev/null
    "$subctl" --db "$(url "$expected")" -q migrate >/dev/null
    if ! diff -u "$committed" <(dump "$fresh") >/dev/null; then
        echo "a fresh migrate differs from tests/schema/schema.sql: see the schema dump suite" >&2
        exit 1
    fi
    if ! diff -u <(dump "$expected") <(dump "$db"); then
        echo "migrating the previous release's database gives another schema than a fresh migrate (tests/schema/schema.sql)" >&2
        exit 1
    fi
    if ! diff -u <(echo "$before") <(records "$db"); then
        echo "migrating the previous release's database changed its records" >&2
        exit 1
    fi
    if ! "$subctl" --db "$(url "$db")" -q audit verify >/dev/null; then
        echo "the audit chains of the previous release's database no longer verify after migrate" >&2
        exit 1
    fi
    ;;
--previous-release)
    rev=${2:?usage: schema-dump.sh --previous-release GIT_REVISION}
    commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
    dir=$(mktemp -d /tmp/subctl-previous.XXXXXX) pg=$(mktemp -d /tmp/subctl-previous-pg.XXXXXX)
    cleanup() {
        "$root/tests/support/cluster.sh" remove "$pg" || true
        [ ! -d "$dir/src" ] || git -C "$root" worktree remove --force "$dir/src"
        rm -rf "$dir"
    }
    trap cleanup EXIT
    binary=${PREVIOUS_BINARY:-} home=${PREVIOUS_HOME:-}
    if [ -z "$binary" ]; then
        git -C "$root" worktree add --detach "$dir/src" "$commit" >/dev/null
        cmake -S "$dir/src" -B "$dir/src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
        cmake --build "$dir/src/build" --target subctl -j "$(nproc)" >/dev/null
        binary=$dir/src/build/subctl home=$dir/src
    fi
    [ "$(git -C "$home" rev-parse HEAD)" = "$commit" ] || { echo "PREVIOUS_HOME is not at $commit" >&2; exit 1; }
    url=$("$root/tests/support/cluster.sh" start "$pg" subctl)
    run() { SUBCTL_HOME=$home "$binary" --db "$url" -q "$@"; }
    run migrate >/dev/null
    run catalog apply >/dev/null
    run partner add previous-release --name "Previous Release" >/dev/null
    run --partner previous-release customer add --name "Kept Customer" >/dev/null
    customer=$(psql -qAtX -d "$url" -c "SELECT id FROM core.customers WHERE name = 'Kept Customer'")
    run --partner previous-release relationship request "$customer" --service office365 >/dev/null
    run --partner previous-release relationship accept "$customer" --service office365 >/dev/null
    run --partner previous-release subscription add "$customer" --offer o365-business --quantity 10 >/dev/null
    {
        echo "-- The database of subctl at commit $commit"
        echo "-- after migrate, catalog apply and one customer's subscription: make test restores it"
        echo "-- and runs this tree's migrate on it (tests/support/schema-dump.sh --check-previous-release)."
        echo "-- Regenerate it when a release lands: tests/support/schema-dump.sh --previous-release COMMIT"
        echo "-- (PREVIOUS_BINARY and PREVIOUS_HOME: that commit's subctl and source tree, else it is built)."
        PGHOST=$pg/run PGUSER=postgres pg_dump --no-owner subctl | grep -vE '^(\\restrict|\\unrestrict|-- Dumped (from|by) )'
    } >"$previous"
    echo "wrote $previous"
    ;;
"")
    dir=$(mktemp -d /tmp/subctl-schema.XXXXXX)
    trap '"$root/tests/support/cluster.sh" remove "$dir"' EXIT
    url=$("$root/tests/support/cluster.sh" start "$dir" subctl)
    "$subctl" --db "$url" migrate >/dev/null
    mkdir -p "$(dirname "$committed")"
    PGHOST=$dir/run PGUSER=postgres dump subctl >"$committed"
    echo "wrote $committed"
    ;;
*)
    sed -n '5,14p' "$0" >&2
    exit 64
    ;;
esac
