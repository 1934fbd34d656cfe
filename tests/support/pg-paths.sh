# Sourced (not run) by the scripts that call PostgreSQL's own programs (initdb, pg_ctl,
# pg_basebackup, isolationtester), which Debian keeps off PATH in
# /usr/lib/postgresql/VERSION/. Sets pgbin (their folder) and pglib (its sibling lib/,
# holding pgxs): PG_BINDIR if set, else the newest /usr/lib/postgresql/*/bin holding
# initdb, else `pg_config --bindir`.
if [ -n "${PG_BINDIR:-}" ]; then
    pgbin=$PG_BINDIR
else
    pgbin=
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        [ -x "$candidate/initdb" ] && pgbin=$candidate
    done
    [ -n "$pgbin" ] || pgbin=$(pg_config --bindir 2>/dev/null) || pgbin=
fi
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
    echo "$(basename "$0"): PostgreSQL's server programs not found (make deps installs them; or set PG_BINDIR)" >&2
    exit 69
fi
pglib=$(dirname "$pgbin")/lib
