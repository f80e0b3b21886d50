#!/usr/bin/env bash
# The create benchmark, against the hardware's ceilings, in one run:
#   bench/run.sh            SQLite, then PostgreSQL (a throwaway cluster, tests/with-postgres.sh)
#   bench/run.sh sqlite     SQLite only
# For each database: POST /api/invoices (wrk, concurrency 1, 16, 64: creates/s, p50, p99);
# the ceilings: GET /health of the same binary (the HTTP stack), the stack's bare insert
# (examples/bare_insert.rs: the same HTTP server and driver, a POST that only inserts the row)
# and the raw insert rate of the same row shape without HTTP (SQLite: examples/raw_insert.rs,
# autocommitted inserts from as many tasks as the server's pool has connections, with the
# server's durability settings; PostgreSQL: pgbench with bench/insert.sql from 16 clients);
# the server's peak RSS and CPU per request. Prints a Markdown table. DURATION (seconds
# per measurement, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
duration=${DURATION:-10}

. bench/common.sh
cargo build --release --quiet --bin invoices-api --example raw_insert --example bare_insert
bin=target/release/invoices-api
raw=target/release/examples/raw_insert
bare=target/release/examples/bare_insert
ticks=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

bench_database() {  # NAME URL
  local name=$1 url=$2 work port server token
  work=$(mktemp -d /tmp/invoices-bench.XXXXXX)
  token=$(DATABASE_URL=$url "$bin" demo | sed -n 's/.*(valid 30 days): //p')
  port=$(free_port)
  DATABASE_URL=$url "$bin" serve --bind "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  server=$!
  wait_for_health "$port"

  local rows=() c threads before after line rps requests cpu_ms
  for c in 1 16 64; do
    threads=$(( c < 2 ? 1 : 2 ))
    before=$(cpu_ticks "$server")
    line=$(TOKEN=$token wrk -t"$threads" -c"$c" -d"${duration}s" --latency -s bench/create.lua \
      "http://127.0.0.1:$port/api/invoices" | grep '^RESULT')
    after=$(cpu_ticks "$server")
    requests=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
    cpu_ms=$(python3 -c "print(f'{($after - $before) * 1000 / $ticks / max($requests, 1):.3f}')")
    rows+=("$c|$line|$cpu_ms")
  done
  local health
  health=$(wrk -t2 -c64 -d"${duration}s" "http://127.0.0.1:$port/health" | awk '/Requests\/sec/ {print $2}')
  local rss_kib wal=""
  rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
  if [[ $url == sqlite://* ]] && [ -f "${url#sqlite://}-wal" ]; then
    wal=" SQLite WAL after the load: $(( $(stat -c %s "${url#sqlite://}-wal") / 1024 )) KiB."
  fi
  kill -TERM "$server"; wait "$server" || true

  local bare_rps
  "$bare" "$url" "127.0.0.1:$port" >"$work/bare.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$port/insert" 2>/dev/null && break; sleep 0.1
  done
  bare_rps=$(TOKEN=none wrk -t2 -c64 -d"${duration}s" --latency -s bench/create.lua \
    "http://127.0.0.1:$port/insert" | grep '^RESULT' | sed -E 's/.*rps=([0-9.]+).*/\1/')
  kill -TERM "$server"; wait "$server" || true

  local ceiling
  if [[ $url == postgres* ]]; then
    ceiling=$(pgbench -n -M prepared -f bench/insert.sql -c 16 -j 2 -T "$duration" "$url" 2>/dev/null \
      | awk '/^tps/ {print $3; exit}')
  else
    ceiling=$("$raw" "$url" "$duration" 4)
  fi

  echo
  echo "### $name"
  echo
  echo "| measurement | requests/s | p50 ms | p99 ms | errors | CPU ms/request | % of raw insert | % of bare insert | % of /health |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  local row
  for row in "${rows[@]}"; do
    IFS='|' read -r c line cpu_ms <<<"$row"
    python3 - "$c" "$line" "$cpu_ms" "$ceiling" "$bare_rps" "$health" <<'PY'
import re, sys
c, line, cpu, ceiling, bare, health = sys.argv[1:]
v = dict(re.findall(r"(\w+)=([\d.]+)", line))
rps = float(v["rps"])
print(f"| POST /api/invoices, concurrency {c} | {rps:.0f} | {v['p50_ms']} | {v['p99_ms']} | {v['errors']} | {cpu} "
      f"| {100 * rps / float(ceiling):.0f}% | {100 * rps / float(bare):.0f}% | {100 * rps / float(health):.1f}% |")
PY
  done
  echo "| GET /health, concurrency 64 (HTTP ceiling) | ${health%.*} | | | | | | | |"
  echo "| bare insert over HTTP, concurrency 64 (the stack's bound) | ${bare_rps%.*} | | | | | | | |"
  echo "| raw insert without HTTP (DB ceiling) | ${ceiling%.*} | | | | | | | |"
  echo
  echo "Server peak RSS: $((rss_kib / 1024)) MiB.$wal"
  rm -rf "$work"
}

case $which in
  sqlite|all)
    dir=$(mktemp -d /tmp/invoices-bench-db.XXXXXX)
    bench_database "SQLite (WAL, synchronous=NORMAL)" "sqlite://$dir/bench.db"
    rm -rf "$dir"
    ;;&
  all)
    tests/with-postgres.sh bench/run.sh postgres
    ;;
  postgres)
    admin=${TEST_DATABASE_URL:?run through tests/with-postgres.sh}
    psql -q "$admin" -c "CREATE DATABASE bench"
    bench_database "PostgreSQL $(pg_config --version 2>/dev/null | awk '{print $2}') (throwaway cluster, fsync=off)" "${admin%/*}/bench"
    ;;
esac
