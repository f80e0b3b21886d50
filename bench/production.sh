#!/usr/bin/env bash
# The configuration production runs against the bare server, in one run: creates, a list page
# (100 invoices), a read and a PATCH (each of another invoice), at concurrency 16 with one token
# for DURATION seconds (default 10) each, in ROUNDS interleaved rounds (default 2), on the demo
# company filled with SEED invoices (default 10,000), with
#   bare: no metrics, no rate limit, no webhook endpoint, no compression asked for;
#   production: metrics on (scraped every second), a rate limit of a billion requests per
#     minute (counted, never refusing), one webhook endpoint at a local receiver that answers
#     204 at once (nginx; every create and PATCH is delivered), and `Accept-Encoding: gzip`.
# Prints each operation's req/s and p99 per configuration, as Markdown.
#   bench/production.sh sqlite|postgres
# PostgreSQL runs on a throwaway cluster (tests/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
database=$1
if [ "$database" = postgres ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec tests/with-postgres.sh "$0" "$database"
fi
duration=${DURATION:-10}
rounds=${ROUNDS:-2}
seed=${SEED:-10000}

. bench/common.sh
build_and_demo_database production
trap 'kill "${server:-0}" "${scraper:-0}" "${receiver:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL=$url
seed_demo "$seed"
receiver_port=$(free_port); fast_receiver "$receiver_port"

start_server() {  # bare|production
  port=$(free_port)
  if [ "$1" = production ]; then
    "$bin" admin webhook add --company demo --url "http://127.0.0.1:$receiver_port/hook" >/dev/null
    endpoint=$(newest_endpoint)
    metrics=$(free_port)
    "$bin" serve --bind "127.0.0.1:$port" --metrics-bind "127.0.0.1:$metrics" \
      --rate-limit-per-minute 1000000000 >/dev/null 2>&1 &
    server=$!
    wait_for_health "$port"
    (while true; do curl -fsS -o /dev/null "http://127.0.0.1:$metrics/metrics" || true; sleep 1; done) &
    scraper=$!
    encoding=gzip
  else
    "$bin" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
    server=$!
    wait_for_health "$port"
    encoding=""
  fi
}
stop_server() {  # bare|production
  if [ "$1" = production ]; then
    kill "$scraper"; wait "$scraper" 2>/dev/null || true
  fi
  kill -TERM "$server"; wait "$server" || true
  if [ "$1" = production ]; then
    "$bin" admin webhook remove --company demo --id "$endpoint" >/dev/null
  fi
}
run() {  # OPERATION: one wrk run against the server started
  local base="http://127.0.0.1:$port" first
  case $1 in
    create) TOKEN=$token ACCEPT_ENCODING=$encoding wrk -t2 -c16 -d"${duration}s" --latency \
      -s bench/create.lua "$base/api/invoices" ;;
    list) TOKEN=$token ACCEPT_ENCODING=$encoding wrk -t2 -c16 -d"${duration}s" --latency \
      -s bench/read.lua "$base/api/invoices?limit=100" ;;
    read) TOKEN=$token ACCEPT_ENCODING=$encoding wrk -t2 -c16 -d"${duration}s" --latency \
      -s bench/read.lua "$base/api/invoices/$((RANDOM % seed + 1))" ;;
    patch) TOKEN=$token ACCEPT_ENCODING=$encoding METHOD=PATCH BODY='{"notes": "benchmark"}' \
      FIRST=1 COUNT="$seed" THREADS=2 wrk -t2 -c16 -d"${duration}s" --latency \
      -s bench/write.lua "$base" ;;
  esac | grep '^RESULT'
}

echo "| $database, operation | configuration | round | req/s | p99 ms | errors |"
echo "|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for configuration in bare production; do
    start_server "$configuration"
    for operation in create list read patch; do
      line=$(run "$operation")
      echo "| $operation | $configuration | $round | $(field rps "$line") | $(field p99_ms "$line") | $(field errors "$line") |"
    done
    stop_server "$configuration"
  done
done
