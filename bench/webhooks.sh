#!/usr/bin/env bash
# What webhook delivery costs creates, how fast one node delivers, and how far behind the
# writes it runs, in one run on the demo company:
#   1. creates at concurrency 16 with one token for DURATION seconds (default 10), in ROUNDS
#      interleaved rounds (default 3), with
#        none: no webhook endpoint (events are still recorded, as always);
#        fast: one endpoint at a local receiver that answers 204 at once (nginx);
#        hung: one endpoint at a local receiver that never answers (every attempt waits 10 s);
#      and for `fast`, the deliveries made while the creates ran and the seconds the rest took;
#   2. the delivery rate: the server stopped, BACKLOG events (default 20,000) recorded by the
#      database (examples/seed_invoices) for one endpoint at the fast receiver, then the
#      seconds from the server's start until it delivered them all;
#   3. the lag (a build with `invoices_webhook_delivery_lag_seconds` only): creates paced at
#      80% of `none`'s mean rate (64 connections, each waiting between its requests) for
#      DURATION seconds with the fast endpoint, then the lag
#      histogram's p50 and p99 (the upper bound of the bucket each falls in) and the count.
#   bench/webhooks.sh sqlite|postgres        BIN=path/to/invoices-api measures another build.
# PostgreSQL runs on a throwaway cluster (tests/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
database=$1
if [ "$database" = postgres ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec tests/with-postgres.sh "$0" "$database"
fi
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
backlog=${BACKLOG:-20000}

. bench/common.sh
build_and_demo_database webhooks
trap 'kill "${server:-0}" "${receiver:-0}" "${hung:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL=$url
"$bin" --version

fast_port=$(free_port); fast_receiver "$fast_port"
hung_port=$(free_port)
python3 - "$hung_port" <<'PY' &
import http.server, sys, time
class R(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        time.sleep(3600)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), R).serve_forever()
PY
hung=$!

serve() {  # FLAGS…
  port=$(free_port)
  "$bin" serve --bind "127.0.0.1:$port" "$@" >/dev/null 2>&1 &
  server=$!
  wait_for_health "$port"
}
stop() { kill -TERM "$server"; wait "$server" || true; }
# Waits until endpoint ID has nothing pending twice in a row (events are queued in batches).
drained() {
  local settled=0 pending
  while [ "$settled" -lt 2 ]; do
    read -r _ pending < <(webhook_counts "$1")
    if [ "$pending" = 0 ]; then settled=$((settled + 1)); else settled=0; fi
    sleep 0.3
  done
}
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.1f}')"; }

serve
none_rates=()
echo "| creates, c=16, $database, endpoint | round | req/s | p99 ms | errors | delivered during | drain s |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for setting in none fast hung; do
    endpoint=""
    case $setting in
      fast) "$bin" admin webhook add --company demo --url "http://127.0.0.1:$fast_port/hook" >/dev/null ;;
      hung) "$bin" admin webhook add --company demo --url "http://127.0.0.1:$hung_port/hook" >/dev/null ;;
    esac
    [ "$setting" != none ] && endpoint=$(newest_endpoint)
    line=$(TOKEN=$token wrk -t2 -c16 -d"${duration}s" --latency -s bench/create.lua \
      "http://127.0.0.1:$port/api/invoices" | grep '^RESULT')
    during=- drain=-
    if [ "$setting" = fast ]; then
      read -r during _ < <(webhook_counts "$endpoint")
      start=$(now)
      drained "$endpoint"
      drain=$(since "$start")
    fi
    [ "$setting" = none ] && none_rates+=("$(field rps "$line")")
    [ -n "$endpoint" ] && "$bin" admin webhook remove --company demo --id "$endpoint" >/dev/null
    echo "| $setting | $round | $(field rps "$line") | $(field p99_ms "$line") | $(field errors "$line") | $during | $drain |"
  done
done
stop

echo
"$bin" admin webhook add --company demo --url "http://127.0.0.1:$fast_port/hook" >/dev/null
endpoint=$(newest_endpoint)
seed_demo "$backlog"
start=$(now)
serve
while read -r delivered _ < <(webhook_counts "$endpoint"); [ "$delivered" -lt "$backlog" ]; do
  sleep 0.2
done
seconds=$(since "$start")
stop
"$bin" admin webhook remove --company demo --id "$endpoint" >/dev/null
echo "| backlog, $database | events | seconds from start to all delivered | deliveries/s |"
echo "|---|---|---|---|"
echo "| one endpoint, fast receiver | $backlog | $seconds | $(python3 -c "print(round($backlog / $seconds))") |"

metrics=$(free_port)
serve --metrics-bind "127.0.0.1:$metrics"
# Read whole before matching: `grep -q` stops at the first match, and curl, cut off mid-write,
# would fail the pipeline (pipefail) as if the histogram were missing.
exposition=$(curl -fsS "http://127.0.0.1:$metrics/metrics")
if ! grep -q '^invoices_webhook_delivery_lag_seconds_count' <<<"$exposition"; then
  echo; echo "(this build has no lag histogram)"; exit 0
fi
"$bin" admin webhook add --company demo --url "http://127.0.0.1:$fast_port/hook" >/dev/null
endpoint=$(newest_endpoint)
mean=$(printf '%s\n' "${none_rates[@]}" | python3 -c 'import sys; r=[float(x) for x in sys.stdin]; print(sum(r)/len(r))')
target=$(python3 -c "print(0.8 * $mean)")
# 64 connections (each waits tens of ms, so wrk's whole-ms waits hardly matter), each waiting
# so that together they send about `target` per second: a wait of 64000/target ms less the
# answer's time, which a 3-second run at that wait measures.
paced() {  # DELAY_MS SECONDS
  TOKEN=$token DELAY_MS=$1 wrk -t2 -c64 -d"$2s" --latency -s bench/create_paced.lua \
    "http://127.0.0.1:$port/api/invoices" | grep '^RESULT'
}
guess=$(python3 -c "print(round(64000 / $target))")
got=$(field rps "$(paced "$guess" 3)")
delay=$(python3 -c "print(max(0, round(64000 / $target - (64000 / $got - $guess))))")
drained "$endpoint"
curl -fsS "http://127.0.0.1:$metrics/metrics" > "$work/lag-before"
line=$(paced "$delay" "$duration")
drained "$endpoint"
echo
echo "| lag at 80% of the create rate, $database | creates/s (target) | create p99 ms | deliveries | lag p50 s at most | lag p99 s at most |"
echo "|---|---|---|---|---|---|"
curl -fsS "http://127.0.0.1:$metrics/metrics" > "$work/lag-after"
# The measured run's deliveries: the histogram after it less the one before it.
python3 - "$work/lag-before" "$work/lag-after" "$(field rps "$line")" "$(python3 -c "print(round($target))")" "$(field p99_ms "$line")" <<'PY'
import sys
def buckets(path):
    out = []
    for line in open(path):
        if line.startswith('invoices_webhook_delivery_lag_seconds_bucket'):
            le = line.split('le="')[1].split('"')[0]
            out.append((float(le), float(line.split()[-1])))
    return out
before, after, rps, target, p99 = sys.argv[1:]
run = [(le, n - m) for (le, n), (_, m) in zip(buckets(after), buckets(before))]
total = run[-1][1]
def at_most(q):
    return next(le for le, n in run if n >= q * total)
print(f'| one endpoint, fast receiver | {rps} ({target}) | {p99} | {int(total)} | {at_most(0.5)} | {at_most(0.99)} |')
PY
stop
