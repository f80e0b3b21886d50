#!/usr/bin/env bash
# What compressing answers costs: the demo company filled with N invoices (default 1,000) on
# SQLite; a list page of 100 invoices and the docs page, each fetched uncompressed, in gzip and
# in br (the fastest setting of each, as served), in two interleaved rounds so that the machine's
# noise shows; prints requests/s and p99 at concurrency 1 and 16, and the bytes sent, as Markdown.
# DURATION: seconds per measurement (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-5}

. bench/common.sh
serve_seeded_sqlite 1000

bytes() {  # PATH ENCODING
  curl -fsS -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $token" \
    -H "Wethod-Company: demo" -H "Wethod-Version: 2024-06-15" \
    ${2:+-H "Accept-Encoding: $2"} "http://127.0.0.1:$port$1"
}
measure() {  # PATH ENCODING CONNECTIONS
  TOKEN=$token ACCEPT_ENCODING=$2 wrk -t"$(( $3 > 1 ? 2 : 1 ))" -c"$3" -d"${duration}s" --latency \
    -s bench/read.lua "http://127.0.0.1:$port$1" | grep '^RESULT'
}

echo "| answer | encoding | bytes | round | req/s c=1 | p99 ms c=1 | req/s c=16 | p99 ms c=16 | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
for page in "list page (100 invoices)|/api/invoices?limit=100" "docs page|/docs"; do
  name=${page%%|*} path=${page#*|}
  for round in 1 2; do
    for encoding in "" gzip br; do
      one=$(measure "$path" "$encoding" 1)
      many=$(measure "$path" "$encoding" 16)
      echo "| $name | ${encoding:-none} | $(bytes "$path" "$encoding") | $round | $(field rps "$one") | $(field p99_ms "$one") | $(field rps "$many") | $(field p99_ms "$many") | $(( $(field errors "$one") + $(field errors "$many") )) |"
    done
  done
done
