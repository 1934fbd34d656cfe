#!/usr/bin/env bash
# Two PostgreSQL 15 nodes in a folder, a primary and a synchronous hot standby, built on
# PostgreSQL's own streaming replication (SPEC 7.4): DIR/a and DIR/b, each a cluster as
# cluster.sh makes them (run as `postgres`, Unix socket only, private socket folder
# DIR/NODE/run), on the same port in different socket folders. What differs per node
# (its socket folder, its name, where its primary is) is in DIR/NODE/node.conf, outside
# the data folder, so that pg_basebackup and pg_rewind, which copy the configuration,
# never carry it to the other node.
#
# Failover is by hand (or by a script): nothing here watches the primary.
#   ha.sh start DIR [DBNAME]   start (or reuse) both nodes; a new pair: a primary, b its
#                              synchronous standby. Prints the write URL (both hosts,
#                              target_session_attrs=read-write) and the replica URL
#                              (both hosts, prefer-standby), one per line.
#   ha.sh stop DIR             stop both (immediate)
#   ha.sh remove DIR           stop both and delete the folder
#   ha.sh kill DIR NODE        kill -9 the node's postmaster and all its processes (a crash)
#   ha.sh promote DIR NODE     pg_ctl promote the standby NODE; it then runs alone, not
#                              waiting for a synchronous standby (else every commit would
#                              wait for one that is gone), until `rejoin` gives it one
#   ha.sh rejoin DIR NODE      NODE (a stopped or crashed former primary) becomes the
#                              synchronous standby of the other node: pg_rewind, else a
#                              fresh pg_basebackup; the primary waits for it again
#   ha.sh status DIR           one line per node: name, running/stopped, primary/standby
# SUBCTL_PG_EXTRA_CONF is added to the configuration of a new pair (e.g. log_statement).
set -euo pipefail
. "$(dirname "$0")/pg-paths.sh"
support=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: ha.sh start|stop|remove|kill|promote|rejoin|status DIR [NODE|DBNAME]}
dir=$(realpath -m "${2:?pair folder required}")
as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
other() { [ "$1" = a ] && echo b || echo a; }
node_arg() { [[ ${1:-} =~ ^[ab]$ ]] || { echo "ha: NODE must be a or b" >&2; exit 64; }; }
running() { [ -f "$dir/$1/data/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" -D "$dir/$1/data" status >/dev/null 2>&1; }
sql() { as_pg "$pgbin/psql" -h "$dir/$1/run" -U postgres -XAtq -v ON_ERROR_STOP=1 -c "$2" postgres; }
urls() {
    local db=$1
    echo "postgresql://postgres@/$db?host=$dir/a/run,$dir/b/run&target_session_attrs=read-write&connect_timeout=5"
    echo "postgresql://postgres@/$db?host=$dir/b/run,$dir/a/run&target_session_attrs=prefer-standby&connect_timeout=5"
}

# node.conf: what is this node's own (socket folder, name, its primary when a standby).
write_node_conf() {
    local node=$1 peer
    peer=$(other "$node")
    as_pg tee "$dir/$node/node.conf" >/dev/null <<CONF
unix_socket_directories = '$dir/$node/run'
cluster_name = '$node'
primary_conninfo = 'host=$dir/$peer/run user=postgres application_name=$node'
CONF
}

start_node() {  # start_node NODE: the socket folder private (see cluster.sh), then pg_ctl start
    local node=$1
    as_pg mkdir -p "$dir/$node/run"
    as_pg chmod 0700 "$dir/$node/run"
    running "$node" || as_pg "$pgbin/pg_ctl" -D "$dir/$node/data" -l "$dir/$node/postgres.log" -w -t 60 start >/dev/null
}

# The primary waits for NODE again: its commits return once NODE has flushed their WAL.
wait_for_standby() {  # wait_for_standby PRIMARY STANDBY
    local primary=$1 standby=$2
    for _ in $(seq 1 300); do
        [ "$(sql "$primary" "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$standby' AND state = 'streaming'")" = 1 ] && break
        sleep 0.1
    done
    sql "$primary" "ALTER SYSTEM SET synchronous_standby_names = '$standby'" >/dev/null
    sql "$primary" "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 100); do
        [ "$(sql "$primary" "SELECT count(*) FROM pg_stat_replication WHERE application_name = '$standby' AND sync_state = 'sync'")" = 1 ] && return 0
        sleep 0.1
    done
    echo "ha: $standby did not become the synchronous standby of $primary (see $dir/$standby/postgres.log)" >&2
    exit 69
}

clone() {  # clone NODE: a fresh copy of the other (running primary) node, as its standby
    local node=$1 peer
    peer=$(other "$node")
    as_pg rm -rf "$dir/$node/data"
    as_pg "$pgbin/pg_basebackup" -h "$dir/$peer/run" -U postgres -D "$dir/$node/data" -X stream -c fast
    as_pg touch "$dir/$node/data/standby.signal"
}

case "$cmd" in
start)
  db=${3:-subctl}
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/a/data/PG_VERSION" ] && [ ! -f "$dir/b/data/PG_VERSION" ]; then
    as_pg mkdir -p "$dir/a" "$dir/b"
    write_node_conf a && write_node_conf b
    as_pg "$pgbin/initdb" -D "$dir/a/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    as_pg tee -a "$dir/a/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = ''
unix_socket_permissions = 0700
max_connections = 200
shared_buffers = 256MB
max_wal_size = 2GB
wal_log_hints = on          # pg_rewind
wal_keep_size = 1GB         # a crashed primary can rewind from the new one's WAL
hot_standby = on
synchronous_commit = on     # a commit returns once the synchronous standby has flushed it
include_if_exists = '../node.conf'
${SUBCTL_PG_EXTRA_CONF:-}
CONF
    start_node a
    as_pg "$pgbin/createdb" -h "$dir/a/run" -U postgres "$db"
    clone b
    start_node b
    wait_for_standby a b
  else
    [ -f "$dir/a/data/standby.signal" ] || [ -f "$dir/b/data/standby.signal" ] ||
      { echo "ha: both nodes of $dir are primaries: make one a standby first (ha.sh rejoin $dir NODE)" >&2; exit 78; }
    for node in a b; do [ -f "$dir/$node/data/standby.signal" ] || start_node "$node"; done
    for node in a b; do [ ! -f "$dir/$node/data/standby.signal" ] || start_node "$node"; done
    primary=a; [ -f "$dir/a/data/standby.signal" ] && primary=b
    if ! as_pg "$pgbin/psql" -h "$dir/$primary/run" -U postgres -XAtqc "SELECT 1 FROM pg_database WHERE datname = '$db'" postgres | grep -q 1; then
      as_pg "$pgbin/createdb" -h "$dir/$primary/run" -U postgres "$db"
    fi
  fi
  urls "$db"
  ;;
stop)
  for node in a b; do
    [ -f "$dir/$node/data/PG_VERSION" ] && as_pg "$pgbin/pg_ctl" -D "$dir/$node/data" -m immediate stop >/dev/null 2>&1 || true
  done
  ;;
remove)
  "$0" stop "$dir"
  rm -rf "$dir"
  ;;
kill)
  node_arg "${3:-}"; node=$3
  pid=$(head -1 "$dir/$node/data/postmaster.pid")
  # the postmaster and every process it started, at once: as when the machine dies
  kill -9 "$pid" $(ps -o pid= --ppid "$pid") 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  ;;
promote)
  node_arg "${3:-}"; node=$3
  as_pg "$pgbin/pg_ctl" -D "$dir/$node/data" -w -t 60 promote >/dev/null
  sql "$node" "ALTER SYSTEM SET synchronous_standby_names = ''" >/dev/null
  sql "$node" "SELECT pg_reload_conf()" >/dev/null
  sql "$node" "CHECKPOINT" >/dev/null  # the new timeline in the control file, for pg_rewind
  ;;
rejoin)
  node_arg "${3:-}"; node=$3; peer=$(other "$node")
  running "$node" && as_pg "$pgbin/pg_ctl" -D "$dir/$node/data" -m fast stop >/dev/null
  # pg_rewind runs crash recovery on a crashed node first, then copies what diverged.
  if as_pg "$pgbin/pg_rewind" -D "$dir/$node/data" --source-server="host=$dir/$peer/run user=postgres dbname=postgres" \
        >"$dir/$node/rewind.log" 2>&1; then
    echo "ha: $node rewound (pg_rewind) as the standby of $peer"
  else
    echo "ha: pg_rewind failed (see $dir/$node/rewind.log): $node re-cloned with pg_basebackup"
    clone "$node"
  fi
  as_pg touch "$dir/$node/data/standby.signal"
  start_node "$node"
  wait_for_standby "$peer" "$node"
  ;;
status)
  for node in a b; do
    if running "$node"; then
      echo "$node running $([ "$(sql "$node" "SELECT pg_is_in_recovery()")" = t ] && echo standby || echo primary)"
    else
      echo "$node stopped"
    fi
  done
  ;;
*) echo "usage: ha.sh start|stop|remove|kill|promote|rejoin|status DIR [NODE|DBNAME]" >&2; exit 64 ;;
esac
