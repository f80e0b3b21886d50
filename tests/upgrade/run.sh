#!/usr/bin/env bash
# Checks this release against the one before (PREVIOUS_RELEASE), as a rolling upgrade and a
# rollback meet them:
#   1. the spec: no change a client generated from the release before's spec breaks on
#      (tests/upgrade/spec_compat.py; intended breaks listed in allowed-spec-breaks.txt);
#   2. on PostgreSQL: the release before's whole test suite on databases this release
#      migrated (every test database is a copy of template1, migrated here by this build),
#      but for the tests listed in previous-suite-exceptions.txt, each with its reason;
#   3. on PostgreSQL and on SQLite: a mixed workload through nodes of both releases on one
#      database, the old node writing first and the new one migrating under load
#      (tests/upgrade/mixed.py).
# Usage: tests/with-postgres.sh tests/upgrade/run.sh target/debug/invoices-api
# The release before is built once, in debug, from `git archive` of its commit, in a target
# directory of its own: cargo names a workspace's path crates by their path within the
# workspace, so the two releases' `entity` and `migration` would overwrite each other's
# artifacts in a shared one.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
: "${TEST_DATABASE_URL:?run under tests/with-postgres.sh}"
read -r commit release < <(grep -v '^#' PREVIOUS_RELEASE)
target_dir=$(readlink -f "${CARGO_TARGET_DIR:-$root/target}")
work=$target_dir/previous-release
mkdir -p "$work"
cp "$1" "$work/current-invoices-api"
current=$work/current-invoices-api

echo "== the release before: $release ($commit)"
git cat-file -e "$commit^{commit}" 2>/dev/null || {
  echo "PREVIOUS_RELEASE names $commit, which this clone does not have (a shallow clone?)" >&2
  exit 1
}
if [ "$(cat "$work/commit" 2>/dev/null)" != "$commit" ]; then
  rm -rf "$work/src" && mkdir -p "$work/src"
  git archive "$commit" | tar -x -C "$work/src"
  echo "$commit" > "$work/commit"
fi
previous_target=$work/target
(cd "$work/src" && CARGO_TARGET_DIR=$previous_target cargo test --workspace --no-run --quiet)
cp "$previous_target/debug/invoices-api" "$work/previous-invoices-api"
previous=$work/previous-invoices-api
"$previous" --version
[ "$("$previous" --version)" != "$("$current" --version)" ] || {
  echo "$1 is the release before itself: build this release first" >&2
  exit 1
}

echo "== spec compatibility with $release"
python3 tests/upgrade/spec_compat.py --self-test
git show "$commit:openapi.yaml" > "$work/openapi.yaml"
python3 tests/upgrade/spec_compat.py "$work/openapi.yaml" openapi.yaml \
  --allowed tests/upgrade/allowed-spec-breaks.txt

echo "== the release before's suite on PostgreSQL databases this release migrated"
DATABASE_URL="${TEST_DATABASE_URL%/*}/template1" "$current" migrate
skips=()
while read -r name reason; do
  echo "exception: $name $reason"
  skips+=(--skip "$name")
done < <(grep -v '^#' tests/upgrade/previous-suite-exceptions.txt | grep .)
(cd "$work/src" && CARGO_TARGET_DIR=$previous_target cargo test --workspace --quiet -- "${skips[@]}")

echo "== nodes of $release and this release on one PostgreSQL"
python3 tests/upgrade/mixed.py "$previous" "$current"
echo "== nodes of $release and this release on one SQLite file, one at a time"
TEST_DATABASE_URL= python3 tests/upgrade/mixed.py "$previous" "$current"

echo "upgrade: checked against $release"
