#!/usr/bin/env bash
# The Debian package as an operator meets it: builds it (packaging/build-deb.sh), inspects it
# (the files, their modes, the conffile, the dependencies), checks the unit (systemd-analyze
# verify, and its exposure score, which must stay at the level the README states), installs it
# on this machine, runs the unit's ExecStart line as the unit's user in its working directory
# against the packaged environment file (/health, the demo data, a create), and purges it.
# Needs root (dpkg -i), dpkg-deb, setpriv (util-linux), systemd (systemd-analyze,
# systemd-sysusers) and curl (both installed from Debian's packages when missing), and cargo-deb
# (installed from crates.io when missing).
# Usage: tests/package/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "installing the package needs root" >&2; exit 1; }
# The exposure systemd-analyze security gives the unit at most (0 is best, 10 worst).
MAX_EXPOSURE=1.1
failures=0
check() { # check NAME COMMAND...: one line per check
  if "${@:2}" >/dev/null 2>&1; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}

if ! command -v cargo-deb >/dev/null 2>&1; then
  echo "== installing cargo-deb"
  cargo install --locked --quiet cargo-deb --version '^3.7'
fi
if ! command -v systemd-analyze >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
  echo "== installing systemd and curl"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd curl >/dev/null
fi

echo "== building the package"
deb=$(packaging/build-deb.sh)
echo "$deb"
work=$(mktemp -d /tmp/invoices-package.XXXXXX)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  dpkg --purge invoices-api >/dev/null 2>&1 || true
  rm -rf "$work" /var/lib/invoices-api
}
trap cleanup EXIT

echo "== what it holds"
dpkg-deb --info "$deb" > "$work/info"
dpkg-deb --contents "$deb" > "$work/contents"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work"
sed 's/^/     /' "$work/info" | grep -E 'Package|Version|Depends|Installed-Size'
holds() { grep -Eq "$1" "$work/contents"; }
check "the binary in /usr/bin" holds '^-rwxr-xr-x .* \./usr/bin/invoices-api$'
check "the environment file in /etc, readable by root only" \
  holds '^-rw-r----- .* \./etc/invoices-api/invoices-api\.env$'
check "the unit" holds ' \./(usr/)?lib/systemd/system/invoices-api\.service$'
check "the system user (sysusers.d)" holds ' \./usr/lib/sysusers\.d/invoices-api\.conf$'
check "the data directory (tmpfiles.d)" holds ' \./usr/lib/tmpfiles\.d/invoices-api\.conf$'
check "the man page" holds ' \./usr/share/man/man1/invoices-api\.1\.gz$'
check "bash completions" holds ' \./usr/share/bash-completion/completions/invoices-api$'
check "zsh completions" holds ' \./usr/share/zsh/vendor-completions/_invoices-api$'
check "fish completions" holds ' \./usr/share/fish/vendor_completions\.d/invoices-api\.fish$'
check "the environment file is a conffile" grep -qx /etc/invoices-api/invoices-api.env "$work/conffiles"
check "depends on the C library and systemd" grep -Eq '^ Depends: .*libc6.*systemd|^ Depends: .*systemd.*libc6' "$work/info"
check "postinst makes the user before the data directory" \
  python3 -c 'import sys; s = open(sys.argv[1]).read(); sys.exit(not 0 <= s.find("systemd-sysusers") < s.find("systemd-tmpfiles"))' "$work/postinst"

echo "== installing it"
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" > "$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
unit=$(ls /usr/lib/systemd/system/invoices-api.service /lib/systemd/system/invoices-api.service 2>/dev/null | head -n 1)
check "the user exists" id invoices-api
check "the data directory is the user's" test "$(stat -c %U:%a /var/lib/invoices-api)" = invoices-api:750
check "the man page is a man page" bash -c 'zcat /usr/share/man/man1/invoices-api.1.gz | grep -q "^\.TH invoices-api 1"' 
check "the installed binary runs" /usr/bin/invoices-api --version
check "systemd-analyze verify passes" systemd-analyze verify "$unit"
systemd-analyze verify "$unit" 2>&1 | sed 's/^/     /' || true
exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null \
  | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
echo "     systemd-analyze security: exposure $exposure (at most $MAX_EXPOSURE)"
check "the unit's exposure is at most $MAX_EXPOSURE" \
  python3 -c "import sys; sys.exit(not float('${exposure:-99}') <= $MAX_EXPOSURE)"

echo "== the unit's ExecStart, as its user, in its working directory, with its environment file"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
directory=$(sed -n 's/^WorkingDirectory=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
environment_file=$(sed -n 's/^EnvironmentFile=//p' "$unit")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# What systemd does: the file's variables (every one commented out: the defaults), then the
# process as the user (setpriv execs it, so the process is the server itself and its exit
# status is the server's); only the port differs, so the check can't collide with a server.
as_unit() {
  cd "$directory" && set -a && . "$environment_file" && set +a \
    && exec setpriv --reuid="$user" --regid="$user" --init-groups \
         env BIND="127.0.0.1:$port" "$@"
}
# shellcheck disable=SC2086 # the ExecStart line is words, as systemd splits it
(as_unit $exec_start) > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/health" > "$work/health" 2>/dev/null && break
  sleep 0.1
done
check "/health answers" grep -q '"status":"ok"' "$work/health"
(as_unit /usr/bin/invoices-api demo) > "$work/demo"
curl_line=$(grep '^curl ' "$work/demo" | sed 's/^curl -i /curl -s -o \/dev\/null -w %{http_code} /')
status=$(eval "$curl_line")
check "a create answers 201" test "$status" = 201
check "the database is in the data directory, the user's" \
  test "$(stat -c %U /var/lib/invoices-api/invoices.db)" = invoices-api
kill -TERM "$server"
stopped=0
wait "$server" || stopped=$?
server=
check "SIGTERM stops it cleanly (exit 0)" test "$stopped" = 0

echo "== removing it"
dpkg --purge invoices-api > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; exit 1; }
check "the binary is gone" test ! -e /usr/bin/invoices-api
check "the unit is gone" test ! -e "$unit"
check "the environment file is gone" test ! -e /etc/invoices-api/invoices-api.env

echo "package: $failures check(s) failed"
[ "$failures" = 0 ]
