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
