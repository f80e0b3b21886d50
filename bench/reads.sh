#!/usr/bin/env bash
# Reads at scale, in one run: for each database, the demo company filled with 1,000 and then
# 1,000,000 invoices (examples/seed_invoices.rs), and for each list shape, the deep offset and
# the read of one invoice: p50/p99 of one request at a time (wrk, concurrency 1) and
# requests/s at concurrency 16; then creates/s at concurrency 64 on the filled database.
#   bench/reads.sh            SQLite, then PostgreSQL (a throwaway cluster, tests/with-postgres.sh)
#   bench/reads.sh sqlite     SQLite only
# Prints a Markdown table per database. DURATION (seconds per measurement, default 5); SIZES
# (default "1000 1000000").
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
duration=${DURATION:-5}
sizes=${SIZES:-"1000 1000000"}

. bench/common.sh
cargo build --release --quiet --bin invoices-api --example seed_invoices
bin=target/release/invoices-api
seed=target/release/examples/seed_invoices

# The shapes, as "name|path and query|who" (who: the demo token, or the PM-scoped viewer).
# Values are chosen to select a similar number of invoices at every size: the poll reads the
# last hour's changes (one invoice is created every 30 s), the date ranges a few days' worth.
shapes() {  # N FIRST_BENCH_PROJECT SINCE
  local n=$1 project=$(( $2 + 1 )) since=$3
  cat <<SHAPES
first page|/api/invoices?limit=100|demo
deep offset (90%)|/api/invoices?limit=100&offset=$(( n * 9 / 10 ))|demo
one project|/api/invoices?project_id=$project|demo
one issue date|/api/invoices?issue_date=2024-06-03|demo
a week of issue dates|/api/invoices?issue_date=gte:2024-06-01&issue_date=lt:2024-06-08|demo
one project, a month of issue dates|/api/invoices?project_id=$project&issue_date=gte:2024-06-01&issue_date=lt:2024-07-01|demo
paid in the last week|/api/invoices?payment_date=gte:2026-01-21|demo
the updated_at poll (last hour, id order)|/api/invoices?updated_at=gt:$since|demo
the sync walk from its start|/api/invoices?order_by=updated_at|demo
the sync walk from a cursor (last hour)|/api/invoices?order_by=updated_at&updated_at=gte:$since|demo
the PM-scoped list (invoices.view, PM of 1 project in 20)|/api/invoices?limit=100|scoped
one invoice|/api/invoices/$(( n / 2 ))|demo
projects|/api/projects|demo
budget areas|/api/budget-areas|demo
SHAPES
}


declare -A results

bench_size() {  # URL N
  local url=$1 n=$2 port server demo scoped seeded first since
  demo=$(DATABASE_URL=$url "$bin" demo | sed -n 's/.*(valid 30 days): //p')
  seeded=$("$seed" "$url" "$n")
  first=$(sed -n 's/.*first bench project \([0-9]*\).*/\1/p' <<<"$seeded")
  scoped=$(sed -n 's/^Scoped token: //p' <<<"$seeded")
  since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
  port=$(free_port)
  DATABASE_URL=$url "$bin" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
  server=$!
  wait_for_health "$port"

  local name path who token one sixteen returned
  while IFS='|' read -r name path who; do
    token=$demo; [ "$who" = scoped ] && token=$scoped
    # A shape that is not a 200 would measure an error page: refuse to report it.
    returned=$(curl -fsS -H "Authorization: Bearer $token" -H 'Wethod-Company: demo' \
      -H 'Wethod-Version: 2024-06-15' "http://127.0.0.1:$port$path" \
      | python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d) if isinstance(d, list) else 1)')
    one=$(TOKEN=$token wrk -t1 -c1 -d"${duration}s" --latency -s bench/read.lua \
      "http://127.0.0.1:$port$path" | grep '^RESULT')
    sixteen=$(TOKEN=$token wrk -t2 -c16 -d"${duration}s" -s bench/read.lua \
      "http://127.0.0.1:$port$path" | grep '^RESULT')
    results["$name|$n"]="$one|$sixteen|$returned"
  done < <(shapes "$n" "$first" "$since")
  results["creates|$n"]=$(TOKEN=$demo wrk -t2 -c64 -d"$(( 2 * duration ))s" --latency \
    -s bench/create.lua "http://127.0.0.1:$port/api/invoices" | grep '^RESULT')
  kill -TERM "$server"; wait "$server" || true
}

report() {  # TITLE
  local small large
  read -r small large <<<"$sizes"
  echo
  echo "### $1"
  echo
  echo "| request | invoices returned at $small / $large | p50 ms at $small | p99 ms at $small | req/s c=16 at $small | p50 ms at $large | p99 ms at $large | req/s c=16 at $large | $large vs $small (req/s) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  local name
  while IFS='|' read -r name _; do
    python3 - "$name" "${results["$name|$small"]}" "${results["$name|$large"]}" <<'PY'
import re, sys
name, small, large = sys.argv[1:]
def parse(both):
    one, sixteen, returned = both.split("|")
    a, b = dict(re.findall(r"(\w+)=([\d.]+)", one)), dict(re.findall(r"(\w+)=([\d.]+)", sixteen))
    assert a["errors"] == "0" and b["errors"] == "0", both
    return a["p50_ms"], a["p99_ms"], float(b["rps"]), returned
s, l = parse(small), parse(large)
print(f"| {name} | {s[3]} / {l[3]} | {s[0]} | {s[1]} | {s[2]:.0f} | {l[0]} | {l[1]} | {l[2]:.0f} | {100 * l[2] / s[2]:.0f}% |")
PY
  done < <(shapes 1000 1 x)
  python3 - "${results["creates|$small"]}" "${results["creates|$large"]}" <<'PY'
import re, sys
s, l = (dict(re.findall(r"(\w+)=([\d.]+)", x)) for x in sys.argv[1:])
print(f"| POST /api/invoices, c=64 | | {s['p50_ms']} | {s['p99_ms']} | {float(s['rps']):.0f} (c=64) "
      f"| {l['p50_ms']} | {l['p99_ms']} | {float(l['rps']):.0f} (c=64) | {100 * float(l['rps']) / float(s['rps']):.0f}% |")
PY
}

case $which in
  sqlite|all)
    for n in $sizes; do
      dir=$(mktemp -d /tmp/invoices-reads.XXXXXX)
      bench_size "sqlite://$dir/reads.db" "$n"
      rm -rf "$dir"
    done
    report "SQLite (WAL, synchronous=NORMAL)"
    ;;&
  all)
    tests/with-postgres.sh bench/reads.sh postgres
    ;;
  postgres)
    admin=${TEST_DATABASE_URL:?run through tests/with-postgres.sh}
    for n in $sizes; do
      psql -q "$admin" -c "DROP DATABASE IF EXISTS reads" -c "CREATE DATABASE reads"
      bench_size "${admin%/*}/reads" "$n"
    done
    report "PostgreSQL $(pg_config --version 2>/dev/null | awk '{print $2}') (throwaway cluster, fsync=off)"
    ;;
esac
