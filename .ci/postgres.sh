#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite: a fresh cluster in a temporary folder,
# listening on 127.0.0.1 only, with a role and database `reader` (password `reader`).
#
#   .ci/postgres.sh COMMAND [ARGS...]   start it, run COMMAND with READER_DATABASE_URL set,
#                                       stop it and delete the cluster; exits with COMMAND's status
#   .ci/postgres.sh                     start it, print the URL, keep it running until Ctrl-C
#
# Needs Debian's `postgresql` package (apt-get install postgresql); no systemd, no existing
# cluster is touched. Run as root, the server runs as the `postgres` user. READER_PG_PORT picks
# the first port to try (default 54329; the next free one is used if it is taken).
set -euo pipefail

fail() {
  echo "postgres.sh: $*" >&2
  exit 1
}

# The newest installed server (a client-only install has no initdb).
version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | while read -r v; do
  [ -x "/usr/lib/postgresql/$v/bin/initdb" ] && echo "$v"
done | tail -n 1 || true)
[ -n "$version" ] || fail "PostgreSQL is not installed (apt-get install postgresql)"
bin=/usr/lib/postgresql/$version/bin

# Run a server command as the owner of the cluster: `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port=${READER_PG_PORT:-54329}
for _ in $(seq 20); do
  port_in_use "$port" || break
  port=$((port + 1))
done
port_in_use "$port" && fail "no free port from ${READER_PG_PORT:-54329} to $port"

# The cluster lives in memory (/dev/shm) when there is room: copying a template database there
# takes a tenth of the time it takes on a busy disk. READER_PG_DIR picks another parent folder.
parent=${READER_PG_DIR:-}
if [ -z "$parent" ]; then
  parent=${TMPDIR:-/tmp}
  shm_free_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }' || true)
  if [ -w /dev/shm ] && [ "${shm_free_kb:-0}" -gt 2000000 ]; then
    parent=/dev/shm
  fi
fi
dir=$(mktemp -d "$parent/reader-pg.XXXXXX")
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"

sleeper=
stop() {
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  fail "initdb failed"
}
# Durability is pointless for a throwaway test server, and without it a database is made fast.
# No autovacuum: a worker connected to a template delays copying it, and blocks dropping one.
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
  "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir \
   -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off \
   -c max_connections=200" \
  >/dev/null || {
  cat "$dir/server.log" >&2
  fail "the server did not start"
}
as_owner "$bin/psql" -q -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<'SQL'
CREATE ROLE reader LOGIN CREATEDB PASSWORD 'reader';
CREATE DATABASE reader_test OWNER reader;
SQL

export READER_DATABASE_URL="postgresql+psycopg://reader:reader@127.0.0.1:$port/reader_test"
echo "PostgreSQL $version on 127.0.0.1:$port (cluster in $dir)"
echo "READER_DATABASE_URL=$READER_DATABASE_URL"

if [ $# -gt 0 ]; then
  status=0
  "$@" || status=$?
  exit "$status"
fi
echo "Running until Ctrl-C; in another shell:"
echo "  export READER_DATABASE_URL=$READER_DATABASE_URL"
while true; do
  sleep 3600 &
  sleeper=$!
  wait "$sleeper" || true
done
