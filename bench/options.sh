#!/usr/bin/env bash
# What a serve option costs creates, in one run: creates at concurrency 16 with one token for
# DURATION seconds (default 10) under each set of options, in ROUNDS interleaved rounds
# (default 3), on the demo company; prints req/s and p99 of each, as Markdown.
#   bench/options.sh sqlite   'no metrics|' 'metrics, scraped every second|--metrics-bind 127.0.0.1:0'
#   bench/options.sh postgres 'no rate limit|' 'shared rate limit|--rate-limit-per-minute 1000000'
# PostgreSQL runs on a throwaway cluster (tests/with-postgres.sh). With --metrics-bind, the
# metrics are scraped every second while the creates run.
set -euo pipefail
cd "$(dirname "$0")/.."
database=$1; shift
if [ "$database" = postgres ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec tests/with-postgres.sh "$0" "$database" "$@"
fi
duration=${DURATION:-10}
rounds=${ROUNDS:-3}

. bench/common.sh
build_and_demo_database options
trap 'kill "${server:-0}" "${scraper:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
port=$(free_port)

creates() {  # FLAGS
  local flags=$1 metrics=""
  if [[ $flags == *--metrics-bind* ]]; then
    metrics=$(free_port)
    flags=${flags/127.0.0.1:0/127.0.0.1:$metrics}
  fi
  # shellcheck disable=SC2086
  DATABASE_URL=$url "$bin" serve --bind "127.0.0.1:$port" $flags >/dev/null 2>&1 &
  server=$!
  wait_for_health "$port"
  if [ -n "$metrics" ]; then
    (while true; do curl -fsS -o /dev/null "http://127.0.0.1:$metrics/metrics" || true; sleep 1; done) &
    scraper=$!
  fi
  TOKEN=$token wrk -t2 -c16 -d"${duration}s" --latency -s bench/create.lua \
    "http://127.0.0.1:$port/api/invoices" | grep '^RESULT'
  [ -n "$metrics" ] && { kill "$scraper"; wait "$scraper" 2>/dev/null || true; }
  kill -TERM "$server"; wait "$server" || true
}

echo "| creates, c=16, $database | round | req/s | p99 ms | errors |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for option in "$@"; do
    line=$(creates "${option#*|}")
    echo "| ${option%%|*} | $round | $(field rps "$line") | $(field p99_ms "$line") | $(field errors "$line") |"
  done
done
