#!/usr/bin/env bash
# The cost of an online backup to clients that keep writing: the demo company filled with
# N invoices (examples/seed_invoices.rs, default 1,000,000) on SQLite, creates at concurrency 4
# for DURATION seconds (default 20) without a backup, then the same while `invoices-api backup`
# runs (started 3 s in); prints the creates' rate, p99 and longest wait (wrk's max latency) of
# both runs, the backup's duration and the copy's size, as Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20}

. bench/common.sh
serve_seeded_sqlite 1000000

creates() {
  TOKEN=$token wrk -t2 -c4 -d"${duration}s" --latency -s bench/create.lua \
    "http://127.0.0.1:$port/api/invoices" | grep '^RESULT'
}

alone=$(creates)
creates >"$work/during" &
load=$!
sleep 3
started=$(date +%s.%N)
DATABASE_URL=$url "$bin" backup --to "$work/copy.db" >/dev/null
took=$(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')")
wait "$load"
during=$(cat "$work/during")
size=$(du -m "$work/copy.db" | cut -f1)

echo "| creates, c=4, $n invoices | req/s | p99 ms | longest wait ms | errors |"
echo "|---|---|---|---|---|"
for row in "without a backup|$alone" "while the backup runs (${took} s, ${size} MB copy)|$during"; do
  name=${row%%|*} line=${row#*|}
  echo "| $name | $(field rps "$line") | $(field p99_ms "$line") | $(field max_ms "$line") | $(field errors "$line") |"
done
