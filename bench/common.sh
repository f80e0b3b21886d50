# What every benchmark script shares; sourced from the repository root (`. bench/common.sh`).

# wrk, from Debian's packages when the machine lacks it.
if ! command -v wrk >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

# A free TCP port on the loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the server on PORT answers GET /health (at most 10 s).
wait_for_health() {
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return; sleep 0.1; done
}

# The value of NAME in a RESULT line of bench/result.lua.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# Builds the release binary, fills the demo company of a fresh SQLite database with N invoices
# (the environment's N, else $1; examples/seed_invoices.rs) and serves it; sets n, bin, work,
# url, token, port and server, and stops the server and removes the database on exit.
serve_seeded_sqlite() {
  n=${N:-$1}
  cargo build --release --quiet --bin invoices-api --example seed_invoices
  bin=$PWD/target/release/invoices-api
  work=$(mktemp -d)
  trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
  url="sqlite://$work/invoices.db"
  token=$(DATABASE_URL=$url "$bin" demo | sed -n 's/.*(valid 30 days): //p')
  target/release/examples/seed_invoices "$url" "$n" >/dev/null
  port=$(free_port)
  DATABASE_URL=$url "$bin" serve --bind "127.0.0.1:$port" >/dev/null 2>&1 &
  server=$!
  wait_for_health "$port"
}

# Builds the release binary (or takes the environment's BIN) and makes an empty database named
# $1 on $database (sqlite, or postgres on the cluster of tests/with-postgres.sh) holding the
# demo company; sets bin, work, url and token. The caller's EXIT trap should remove "$work".
build_and_demo_database() {
  if [ -n "${BIN:-}" ]; then
    bin=$(readlink -f "$BIN")  # another build, such as the release before, to compare with
  else
    cargo build --release --quiet --bin invoices-api
    bin=$PWD/target/release/invoices-api
  fi
  work=$(mktemp -d)
  if [ "$database" = postgres ]; then
    psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
    url="${TEST_DATABASE_URL%/*}/$1"
  else
    url="sqlite://$work/invoices.db"
  fi
  token=$(DATABASE_URL=$url "$bin" demo | sed -n 's/.*(valid 30 days): //p')
}

# Adds N invoices of the demo company to $url, inserted by the database itself
# (examples/seed_invoices; once per database): each records its invoice.created event.
seed_demo() {
  cargo build --release --quiet --example seed_invoices
  target/release/examples/seed_invoices "$url" "$1" >/dev/null
}

# Starts a webhook receiver on PORT that answers 204 at once, over kept-alive connections:
# nginx, from Debian's packages when the machine lacks it, so that the receiver takes little
# of the CPU the server is measured on. Sets receiver (its pid); its files go in "$work".
fast_receiver() {
  if ! command -v nginx >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
  fi
  mkdir -p "$work/nginx"
  cat > "$work/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log stderr crit;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$1; location / { return 204; } }
}
NGINX
  nginx -p "$work/nginx" -e stderr -c "$work/nginx/nginx.conf" &
  receiver=$!
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null -X POST "http://127.0.0.1:$1/hook" 2>/dev/null && return; sleep 0.1
  done
}

# The delivered and pending counts of the demo company's webhook endpoint ID.
webhook_counts() {
  "$bin" admin webhook list --company demo --json | python3 -c "
import json, sys
e = [e for e in json.load(sys.stdin) if e['id'] == $1][0]
print(e['delivered'], e['pending'])"
}

# The id of the demo company's newest webhook endpoint.
newest_endpoint() {
  "$bin" admin webhook list --company demo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])'
}
