#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster:
#   tests/with-postgres.sh cargo test --workspace
# The cluster lives in a temporary directory, listens on 127.0.0.1 at a free port and on a
# private socket directory, and is stopped and deleted when the command ends. The command
# sees TEST_DATABASE_URL (a superuser URL; each test creates its own database from it).
# Needs the machine's initdb and pg_ctl (Debian: postgresql). As root, the cluster runs as
# the `postgres` user, since initdb refuses to run as root.
set -euo pipefail

# Where initdb and pg_ctl live: beside an initdb on the PATH, else Debian's newest cluster bin.
if command -v initdb >/dev/null 2>&1; then
  bindir=$(dirname "$(readlink -f "$(command -v initdb)")")
else
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$bindir/initdb" ] && [ -x "$bindir/pg_ctl" ] || { echo "initdb/pg_ctl not found" >&2; exit 1; }
dir=$(mktemp -d /tmp/invoices-pg.XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log"; exit 1; }
# fsync off: a throwaway test cluster; durability of the cluster itself is not under test.
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=400" start >/dev/null \
  || { cat "$dir/server.log"; exit 1; }

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
export PG_TEST_DATA_DIR="$dir/data" PG_TEST_BINDIR="$bindir" PG_TEST_PORT="$port" PG_TEST_SOCKET_DIR="$dir"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
