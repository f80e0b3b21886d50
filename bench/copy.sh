#!/usr/bin/env bash
# The rate of `invoices-api copy`: the demo company filled with N invoices and their events
# (examples/seed_invoices.rs, default 1,000,000; its inserts fire the trigger that records each
# creation) on SQLite, copied to an empty PostgreSQL database, then from there to a new SQLite
# file; prints each copy's rows, time and rows/s as Markdown, and the peak RSS of each copy.
# Run under tests/with-postgres.sh (it needs TEST_DATABASE_URL):
#   tests/with-postgres.sh bench/copy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-1000000}
: "${TEST_DATABASE_URL:?run under tests/with-postgres.sh}"

[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet --bin invoices-api --example seed_invoices
bin=$PWD/target/release/invoices-api
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source_url="sqlite://$work/source.db"
DATABASE_URL=$source_url "$bin" demo >/dev/null
target/release/examples/seed_invoices "$source_url" "$n" >/dev/null
psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS copy_bench" -c "CREATE DATABASE copy_bench"
postgres_url="${TEST_DATABASE_URL%/*}/copy_bench"
back_url="sqlite://$work/back.db"

# One copy: its report's last line, and the peak RSS (GNU time's %M, in KiB).
copy() {
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" copy --from "$1" --to "$2" 2>/dev/null >"$work/report"
  echo "$(tail -n 1 "$work/report") peak_rss_kib=$(cat "$work/rss")"
}
to_postgres=$(copy "$source_url" "$postgres_url")
to_sqlite=$(copy "$postgres_url" "$back_url")
invoices=$(grep '^invoices ' "$work/report" | awk '{print $2}')
events=$(grep '^invoice_events ' "$work/report" | awk '{print $2}')

row() {
  local rows seconds rate rss
  rows=$(sed -n 's/.*tables, \([0-9]*\) rows.*/\1/p' <<<"$2")
  seconds=$(sed -n 's/.* rows in \([0-9.]*\) s.*/\1/p' <<<"$2")
  rate=$(sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p' <<<"$2")
  rss=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' <<<"$2")
  echo "| $1 | $rows | $seconds | $rate | $((rss / 1024)) |"
}
echo "$invoices invoices, $events events"
echo
echo "| copy | rows (all tables) | seconds | rows/s | peak RSS MiB |"
echo "|---|---|---|---|---|"
row "SQLite → PostgreSQL" "$to_postgres"
row "PostgreSQL → SQLite" "$to_sqlite"
