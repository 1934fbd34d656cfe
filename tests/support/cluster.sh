#!/usr/bin/env bash
# A local PostgreSQL cluster (the server of tests/support/pg-paths.sh) in a folder, run as the `postgres` user (PostgreSQL
# refuses root), listening only on a Unix socket inside that folder. Its logins trust
# whoever reaches the socket, so the socket folder DIR/run is private: mode 0700 and
# owned by postgres (only postgres and root enter it), socket mode 0700.
# SUBCTL_SOCKET_GROUP=GROUP opens it to that group's members: folder 0750 of GROUP,
# socket 0770 of GROUP (postgres must be a member: usermod -aG GROUP postgres).
#   cluster.sh start DIR [DBNAME]   start (or reuse) the cluster, create DBNAME, print DATABASE_URL
#   cluster.sh stop DIR             stop it (immediate)
#   cluster.sh remove DIR           stop it and delete the folder
set -euo pipefail
. "$(dirname "$0")/pg-paths.sh"
cmd=${1:?usage: cluster.sh start|stop|remove DIR [DBNAME]}
dir=$(realpath -m "${2:?cluster folder required}")
db=${3:-subctl}
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

case "$cmd" in
start)
  group=${SUBCTL_SOCKET_GROUP:-}
  if [ -n "$group" ]; then
    if ! [[ $group =~ ^[a-z_][a-z0-9_-]*$ ]] || ! getent group "$group" >/dev/null; then
      echo "cluster: SUBCTL_SOCKET_GROUP=$group is not a group of this machine" >&2; exit 78
    fi
    if ! id -nG postgres | tr ' ' '\n' | grep -qx "$group"; then
      echo "cluster: SUBCTL_SOCKET_GROUP=$group: user postgres is not a member (usermod -aG $group postgres)" >&2; exit 78
    fi
  fi
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
  if ! as_pg test -w "$dir"; then
    echo "cluster: user postgres cannot write $dir (is a parent folder private?)" >&2; exit 78
  fi
  # The socket folder: private unless a group is named (set on every start, so a reused
  # cluster is closed too; the folder's mode is what keeps other logins out).
  as_pg mkdir -p "$dir/run"
  if [ -n "$group" ]; then
    as_pg chgrp "$group" "$dir/run" && as_pg chmod 0750 "$dir/run"
    socket_options="-c unix_socket_permissions=0770 -c unix_socket_group=$group"
  else
    as_pg chgrp "$(id -gn postgres)" "$dir/run" && as_pg chmod 0700 "$dir/run"
    socket_options="-c unix_socket_permissions=0700"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 512MB
max_wal_size = 4GB
${SUBCTL_PG_EXTRA_CONF:-}
CONF
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o "$socket_options" start >/dev/null
  fi
  if ! as_pg "$pgbin/psql" -h "$dir/run" -U postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
    as_pg "$pgbin/createdb" -h "$dir/run" -U postgres "$db"
  fi
  echo "postgresql://postgres@/$db?host=$dir/run"
  ;;
stop)
  [ -f "$dir/data/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  ;;
remove)
  "$0" stop "$dir"
  rm -rf "$dir"
  ;;
*) echo "usage: cluster.sh start|stop|remove DIR [DBNAME]" >&2; exit 64 ;;
esac
