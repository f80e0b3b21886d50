#!/usr/bin/env bash
# What the rate limit shared through PostgreSQL costs creates: on a throwaway cluster
# (tests/with-postgres.sh), creates at concurrency 16 with one token for DURATION seconds
# (default 10), without a rate limit and with one too high to reach (1,000,000 a minute, so a
# node takes leases of 50 requests: one more statement per 50 creates), in ROUNDS interleaved
# rounds (default 3); prints req/s and p99 of each, as Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec tests/with-postgres.sh "$0" "$@"
fi
duration=${DURATION:-10}
rounds=${ROUNDS:-3}

if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --bin invoices-api
bin=$PWD/target/release/invoices-api
psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS ratelimit" -c "CREATE DATABASE ratelimit"
url="${TEST_DATABASE_URL%/*}/ratelimit"
token=$(DATABASE_URL=$url "$bin" demo | sed -n 's/.*(valid 30 days): //p')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'kill "${server:-0}" 2>/dev/null || true' EXIT

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
creates() {  # RATE_LIMIT_PER_MINUTE
  DATABASE_URL=$url "$bin" serve --bind "127.0.0.1:$port" --rate-limit-per-minute "$1" \
    >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done
  TOKEN=$token wrk -t2 -c16 -d"${duration}s" --latency -s bench/create.lua \
    "http://127.0.0.1:$port/api/invoices" | grep '^RESULT'
  kill -TERM "$server"; wait "$server" || true
}

echo "| creates, c=16, PostgreSQL | round | req/s | p99 ms | errors |"
echo "|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for limit in 0 1000000; do
    line=$(creates "$limit")
    name="no rate limit"; [ "$limit" != 0 ] && name="shared rate limit, $limit a minute (leases of 50)"
    echo "| $name | $round | $(field rps "$line") | $(field p99_ms "$line") | $(field errors "$line") |"
  done
done
