#!/usr/bin/env bash
# Builds the Debian package of invoices-api and prints its path: the release binary, its man
# page and shell completions generated from the clap definitions, then `cargo deb` (configured
# in Cargo.toml's [package.metadata.deb]). Needs cargo-deb: cargo install --locked cargo-deb
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null 2>&1 \
  || { echo "building the package needs cargo-deb: cargo install --locked cargo-deb" >&2; exit 1; }
cargo build --release --locked --bin invoices-api >&2
target=$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
generated=$target/release/package
mkdir -p "$generated"
bin=$target/release/invoices-api
"$bin" manpage | gzip -9n > "$generated/invoices-api.1.gz"
"$bin" completions bash > "$generated/invoices-api.bash"
"$bin" completions zsh > "$generated/_invoices-api"
"$bin" completions fish > "$generated/invoices-api.fish"
cargo deb --no-build --locked --quiet | tail -n 1
