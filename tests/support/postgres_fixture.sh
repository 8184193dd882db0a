#!/usr/bin/env bash
# A throwaway PostgreSQL server for the server tests (the ctest fixture "postgres"):
#   postgres_fixture.sh start DIR PORT   fresh cluster in DIR on 127.0.0.1:PORT, database "edgeai"
#   postgres_fixture.sh stop DIR         stops it and removes DIR
# Trust authentication, no fsync: it holds test data only. PostgreSQL refuses to run as root,
# so under root the cluster belongs to the "postgres" user that the Debian package creates.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
}
[ $# -ge 2 ] || usage
command=$1
dir=$2

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres_fixture: no PostgreSQL server under /usr/lib/postgresql (scripts/install-deps.sh installs it)" >&2
  exit 1
fi

# Runs a PostgreSQL program as the cluster's owner; from / so that a cwd the postgres user
# cannot read does not matter.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Where the cluster lives: DIR itself, or under root a directory in /tmp when the postgres user
# cannot reach DIR (a build tree under /root); DIR/data-location then names it.
data_root() {
  if [ -f "$dir/data-location" ]; then cat "$dir/data-location"; else echo "$dir"; fi
}

stop() {
  [ -e "$dir" ] || return 0
  local root
  root=$(data_root)
  if [ -f "$root/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$root/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  if [ "$root" != "$dir" ]; then rm -rf "$root"; fi
  rm -rf "$dir"
}

start() {
  local port=$1
  stop
  mkdir -p "$dir"
  local root=$dir
  if [ "$(id -u)" -eq 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
      echo "postgres_fixture: running as root needs the 'postgres' user (the postgresql package creates it)" >&2
      exit 1
    fi
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      root=$(mktemp -d /tmp/edgeai-postgres.XXXXXX)
      chown postgres: "$root"
      echo "$root" >"$dir/data-location"
    fi
  fi

  if ! as_owner "$bin/initdb" -D "$root/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$root/initdb.log" 2>&1; then
    cat "$root/initdb.log" >&2
    exit 1
  fi
  # Only loopback TCP and a socket inside the cluster directory: nothing clashes with a system
  # server on 5432 or /var/run/postgresql.
  cat >>"$root/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  if ! as_owner "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 start >/dev/null; then
    echo "postgres_fixture: the server did not start (is port $port taken?); its log:" >&2
    cat "$root/server.log" >&2 || true
    exit 1
  fi
  as_owner "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE edgeai" >/dev/null
  echo "postgres_fixture: postgresql://postgres@127.0.0.1:$port/edgeai (cluster in $root)"
}

case $command in
  start)
    [ $# -eq 3 ] || usage
    start "$3"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    stop
    ;;
  *) usage ;;
esac
