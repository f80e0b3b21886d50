#!/usr/bin/env bash
# What webhook delivery costs creates, and how fast events go out, in one run: creates at
# concurrency 16 with one token for DURATION seconds (default 10) on the demo company, in
# ROUNDS interleaved rounds (default 3), with
#   none: no webhook endpoint (events are still recorded, as always);
#   fast: one endpoint at a local receiver that answers 204 at once;
#   hung: one endpoint at a local receiver that never answers (every attempt waits 10 s);
# and for `fast`, the deliveries made while the creates ran and the seconds the rest took.
#   bench/webhooks.sh sqlite|postgres
# PostgreSQL runs on a throwaway cluster (tests/with-postgres.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
database=$1
if [ "$database" = postgres ] && [ -z "${TEST_DATABASE_URL:-}" ]; then
  exec tests/with-postgres.sh "$0" "$database"
fi
duration=${DURATION:-10}
rounds=${ROUNDS:-3}

. bench/common.sh
build_and_demo_database webhooks
trap 'kill "${server:-0}" "${fast:-0}" "${hung:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL=$url

receiver() {  # PORT ANSWER: a threaded receiver that answers 204, or never (hang)
  python3 - "$1" "$2" <<'PY' &
import http.server, sys, time
port, answer = int(sys.argv[1]), sys.argv[2]
class R(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        if answer == "hang":
            time.sleep(3600)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), R).serve_forever()
PY
}
fast_port=$(free_port); receiver "$fast_port" answer; fast=$!
hung_port=$(free_port); receiver "$hung_port" hang; hung=$!

webhook_counts() {  # delivered pending of endpoint ID
  "$bin" admin webhook list --company demo --json | python3 -c "
import json, sys
e = [e for e in json.load(sys.stdin) if e['id'] == $1][0]
print(e['delivered'], e['pending'])"
}

port=$(free_port)
"$bin" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
wait_for_health "$port"

echo "| creates, c=16, $database, endpoint | round | req/s | p99 ms | errors | delivered during | drain s |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  for setting in none fast hung; do
    endpoint=""
    case $setting in
      fast) "$bin" admin webhook add --company demo --url "http://127.0.0.1:$fast_port/hook" >/dev/null ;;
      hung) "$bin" admin webhook add --company demo --url "http://127.0.0.1:$hung_port/hook" >/dev/null ;;
    esac
    [ "$setting" != none ] && endpoint=$("$bin" admin webhook list --company demo --json \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
    line=$(TOKEN=$token wrk -t2 -c16 -d"${duration}s" --latency -s bench/create.lua \
      "http://127.0.0.1:$port/api/invoices" | grep '^RESULT')
    during=- drain=-
    if [ "$setting" = fast ]; then
      read -r during _ < <(webhook_counts "$endpoint")
      start=$(date +%s.%N)
      # Settled when nothing is pending twice in a row (events are queued in batches).
      settled=0
      while [ "$settled" -lt 2 ]; do
        read -r _ pending < <(webhook_counts "$endpoint")
        if [ "$pending" = 0 ]; then settled=$((settled + 1)); else settled=0; fi
        sleep 0.3
      done
      drain=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
    fi
    [ -n "$endpoint" ] && "$bin" admin webhook remove --company demo --id "$endpoint" >/dev/null
    echo "| $setting | $round | $(field rps "$line") | $(field p99_ms "$line") | $(field errors "$line") | $during | $drain |"
  done
done
