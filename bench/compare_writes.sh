#!/usr/bin/env bash
# Two builds of the server, measured in turn by one script in one run, on one database:
#   bench/compare_writes.sh BEFORE_BIN AFTER_BIN sqlite|postgres
# (postgres: run it through tests/with-postgres.sh). For each binary, two rounds, each on a
# fresh database seeded by `demo`: POST /api/invoices (the create), then PATCH of distinct
# invoices, PATCH of one hot invoice (every connection on the same row), and :send of distinct
# drafts, each with wrk at concurrency 16 for DURATION seconds (default 5; the creates run
# twice as long). Prints one Markdown row per binary, round and measurement. Build each binary
# in a target directory of its own: two checkouts sharing one mixed up the workspace's path
# crates (a build of one ran the other's migrations).
set -euo pipefail
cd "$(dirname "$0")/.."
before=$1 after=$2 which=$3
duration=${DURATION:-5}
command -v wrk >/dev/null 2>&1 \
  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

fresh_url() {  # a new, empty database
  if [ "$which" = postgres ]; then
    local name="bench_$RANDOM$RANDOM"
    psql -q "${TEST_DATABASE_URL:?run through tests/with-postgres.sh}" -c "CREATE DATABASE $name"
    echo "${TEST_DATABASE_URL%/*}/$name"
  else
    echo "sqlite://$(mktemp -d /tmp/invoices-bench-db.XXXXXX)/bench.db"
  fi
}

load() {  # SECONDS LABEL SCRIPT URL [ENV…]: one wrk run, one table row
  local seconds=$1 label=$2 script=$3 url=$4; shift 4
  local line
  line=$(env "$@" THREADS=2 wrk -t2 -c16 -d"${seconds}s" --latency -s "$script" "$url" | grep '^RESULT')
  python3 - "$label" "$line" <<'PY'
import re, sys
label, line = sys.argv[1:]
v = dict(re.findall(r"(\w+)=([\d.]+)", line))
print(f"| {label} | {float(v['rps']):.0f} | {v['p50_ms']} | {v['p99_ms']} | {v['errors']} |")
PY
}

echo "| binary, round, measurement (concurrency 16, ${duration} s) | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---:|---:|---:|---:|"
for round in 1 2; do
  for name in before after; do
    bin=${!name}
    url=$(fresh_url)
    token=$(DATABASE_URL=$url "$bin" demo | sed -n 's/.*(valid 30 days): //p')
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    DATABASE_URL=$url "$bin" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
    base="http://127.0.0.1:$port"
    # The creates (twice as long, so there are drafts enough for every :send) leave the
    # invoices the writes below walk through: ids 1 … created.
    load $(( 2 * duration )) "$name, $round, POST /api/invoices" bench/create.lua \
      "$base/api/invoices" TOKEN="$token"
    created=$(DATABASE_URL=$url python3 - <<'PY'
import os, sqlite3, subprocess
url = os.environ["DATABASE_URL"]
if url.startswith("sqlite://"):
    print(sqlite3.connect(url[len("sqlite://"):]).execute("select max(id) from invoices").fetchone()[0])
else:
    print(subprocess.check_output(["psql", "-tA", url, "-c", "select max(id) from invoices"], text=True).strip())
PY
)
    load "$duration" "$name, $round, PATCH distinct invoices" bench/write.lua "$base" \
      TOKEN="$token" METHOD=PATCH BODY='{"notes": "benchmark"}' FIRST=1 COUNT="$created"
    load "$duration" "$name, $round, PATCH one hot invoice" bench/write.lua "$base" \
      TOKEN="$token" METHOD=PATCH BODY='{"notes": "hot"}' FIRST=1 HOT=1
    load "$duration" "$name, $round, :send distinct drafts" bench/write.lua "$base" \
      TOKEN="$token" METHOD=POST SUFFIX=':send' FIRST=1 COUNT="$created"
    kill -TERM "$server"; wait "$server" || true
  done
done
