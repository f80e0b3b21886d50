#!/usr/bin/env bash
# Contract conformance, with tools no one here wrote, against the live server:
#   1. openapi-spec-validator and `redocly lint` on openapi.yaml (no errors);
#   2. schemathesis, all checks and all phases (examples, coverage, fuzzing, stateful);
#   3. the README walk-through and an invoice's lifecycle through Prism's validating proxy
#      (`prism proxy --errors`), which fails any request or response openapi.yaml doesn't
#      describe (tests/contract/through_prism.py);
#   4. Swagger UI in headless Chromium (Playwright): authorize, "Try it out", read a 201;
#   5. clients generated from openapi.yaml by openapi-python-client, openapi-typescript with
#      openapi-fetch (type-checked by tsc), openapi-generator (python and rust) and progenitor:
#      each builds and, against the live server, gets a typed 201, a typed 400 and a typed 412
#      (tests/contract/clients/);
#   6. the metrics listener, read with the Prometheus project's own parsers after known traffic
#      (tests/contract/metrics.py);
#   7. webhooks of an invoice's lifecycle, verified by the Standard Webhooks project's Python
#      package (tests/contract/webhooks.py).
# Usage: tests/contract/run.sh [BINARY]   (default: target/debug/invoices-api, built first)
# Installs its tools under target/contract/ from PyPI and npm, and Debian's chromium if the
# machine lacks it.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
binary=${1:-target/debug/invoices-api}
[ -x "$binary" ] || cargo build --quiet
binary=$(readlink -f "$binary")
tools="$root/target/contract"
mkdir -p "$tools"

echo "== installing the contract tools"
if ! "$tools/venv/bin/python" -c 'import prometheus_client, standardwebhooks' 2>/dev/null; then
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check \
    schemathesis==4.32.5 openapi-spec-validator==0.9.0 \
    openapi-python-client==0.29.1 openapi-generator-cli==7.26.0 prometheus-client==0.26.0 \
    standardwebhooks==1.1.0
fi
if [ ! -x "$tools/npm/node_modules/.bin/prism" ]; then
  mkdir -p "$tools/npm"
  (cd "$tools/npm" && { [ -f package.json ] || npm init -y >/dev/null; })
  npm install --silent --no-audit --no-fund --prefix "$tools/npm" \
    @redocly/cli@2.77.0 playwright-core@1.65.1 openapi-typescript@7.13.0 openapi-fetch@0.17.0 \
    typescript@5.9.3 @types/node@20 @stoplight/prism-cli@5.16.0 >/dev/null
fi
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "schemathesis $("$tools/venv/bin/schemathesis" --version | awk '{print $NF}'), openapi-spec-validator $("$tools/venv/bin/openapi-spec-validator" --version 2>&1 | awk '{print $NF}'), redocly $("$tools/npm/node_modules/.bin/redocly" --version), playwright-core $(node -p "require('$tools/npm/node_modules/playwright-core/package.json').version"), $(chromium --version 2>/dev/null | head -1)"

echo "== openapi-spec-validator"
"$tools/venv/bin/openapi-spec-validator" openapi.yaml

echo "== redocly lint"
"$tools/npm/node_modules/.bin/redocly" lint openapi.yaml 2>&1 | tail -n 3

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for_health() {  # PORT: until GET /health answers (at most 30 s)
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$1/health" >/dev/null 2>&1 && return
    sleep 0.1
  done
}

work=$(mktemp -d /tmp/invoices-contract.XXXXXX)
export DATABASE_URL="sqlite://$work/contract.db"
token=$("$binary" demo | sed -n 's/.*(valid 30 days): //p')
port=$(free_port)
metrics_port=$(free_port)
"$binary" serve --bind "127.0.0.1:$port" --metrics-bind "127.0.0.1:$metrics_port" \
  >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
wait_for_health "$port"

echo "== schemathesis (all checks, all phases)"
PYTHONPATH="$root/tests/contract" SCHEMATHESIS_HOOKS=hooks \
  "$tools/venv/bin/schemathesis" --config-file tests/contract/schemathesis.toml \
  run "http://127.0.0.1:$port/openapi.json" \
  -H "Authorization: Bearer $token" -H "Wethod-Company: demo" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-100}" --no-color \
  >"$work/schemathesis.log" 2>&1 || { cat "$work/schemathesis.log"; exit 1; }
grep -E "^Test cases:" -A1 "$work/schemathesis.log" | tail -n 1 | sed 's/^ */schemathesis: /'
grep -E "^(=+ .* in [0-9.]+s =+)$" "$work/schemathesis.log" || true

echo "== through Prism's validating proxy"
prism_port=$(free_port)
"$tools/npm/node_modules/.bin/prism" proxy openapi.yaml "http://127.0.0.1:$port" --errors \
  -p "$prism_port" >"$work/prism.log" 2>&1 &
prism=$!
trap 'kill "$server" "$prism" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
wait_for_health "$prism_port"
bob_token=$("$binary" admin token add --user bob@demo.test --name prism)
python3 tests/contract/through_prism.py "http://127.0.0.1:$prism_port" "$token" "$bob_token" \
  "$work/prism.log" >"$work/through-prism.log" 2>&1 || { cat "$work/through-prism.log" "$work/prism.log"; exit 1; }
tail -n 1 "$work/through-prism.log"
kill "$prism" 2>/dev/null || true

echo "== Swagger UI in Chromium"
PLAYWRIGHT_CORE="$tools/npm/node_modules/playwright-core" node tests/contract/swagger-ui.mjs \
  "http://127.0.0.1:$port" "$token" "$root/target/contract/swagger-ui.png"
echo "== generated clients"
clients="$root/tests/contract/clients"
base="http://127.0.0.1:$port"

"$tools/venv/bin/openapi-python-client" generate --path openapi.yaml --output-path "$work/py" \
  --overwrite >"$work/openapi-python-client.log" 2>&1 || { cat "$work/openapi-python-client.log"; exit 1; }
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall "$work/py"
"$tools/venv/bin/python" "$clients/python_client.py" "$base" "$token"

"$tools/venv/bin/openapi-generator-cli" generate -i openapi.yaml -g python -o "$work/og-python" \
  --package-name og_invoices >"$work/og-python.log" 2>&1 || { cat "$work/og-python.log"; exit 1; }
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall "$work/og-python"
"$tools/venv/bin/python" "$clients/openapi_generator_python.py" "$base" "$token"

mkdir -p "$work/ts"
cp "$clients/typescript_client.ts" "$clients/tsconfig.json" "$work/ts/"
ln -s "$tools/npm/node_modules" "$work/ts/node_modules"
"$tools/npm/node_modules/.bin/openapi-typescript" openapi.yaml -o "$work/ts/schema.d.ts" >/dev/null 2>&1
(cd "$work/ts" && "$tools/npm/node_modules/.bin/tsc" -p . && node dist/typescript_client.js "$base" "$token")

rm -rf "$tools/og-rust"
"$tools/venv/bin/openapi-generator-cli" generate -i openapi.yaml -g rust -o "$tools/og-rust" \
  --package-name og_invoices >"$work/og-rust.log" 2>&1 || { cat "$work/og-rust.log"; exit 1; }
(cd "$clients/openapi-generator-rust" && CARGO_TARGET_DIR="$tools/og-rust-target" cargo build --quiet --release)
"$tools/og-rust-target/release/openapi-generator-rust-check" "$base" "$token"

(cd "$clients/progenitor" && CARGO_TARGET_DIR="$tools/progenitor-target" cargo build --quiet --release)
"$tools/progenitor-target/release/progenitor-client-check" "$base" "$token"

echo "== metrics, read by the Prometheus project's parsers"
"$tools/venv/bin/python" tests/contract/metrics.py "$base" "http://127.0.0.1:$metrics_port" "$token"

echo "== webhooks, verified by the Standard Webhooks project's Python package"
"$tools/venv/bin/python" tests/contract/webhooks.py "$binary" "$base" "$token" \
  "http://127.0.0.1:$metrics_port"

echo "contract: all checks passed"
