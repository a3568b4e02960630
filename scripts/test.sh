#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit/property/integration tests, schemathesis
# against a live node (SAMVERKA_SKIP_SCHEMATHESIS=1 skips it), a short fuzz run, the
# accessibility of the web pages in headless Chromium (SAMVERKA_SKIP_BROWSER=1 skips them), docs,
# and the multi-host Docker tests when a Docker engine is available (SAMVERKA_SKIP_DOCKER=1).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace

if [ "${SAMVERKA_SKIP_SCHEMATHESIS:-0}" = 1 ]; then
  echo "== schemathesis SKIPPED (SAMVERKA_SKIP_SCHEMATHESIS=1): the API was not checked against its OpenAPI document"
else
  echo "== schemathesis against a live node"
  scripts/schemathesis.sh
fi

echo "== fuzz: every decoder of outside bytes, a short run from the committed corpus"
cargo run --quiet -p samverka-node --bin samverka-fuzz -- --runs 5000 --seed "${SAMVERKA_FUZZ_SEED:-$RANDOM}"

if [ "${SAMVERKA_SKIP_BROWSER:-0}" = 1 ]; then
  echo "== browser accessibility tests skipped: SAMVERKA_SKIP_BROWSER=1"
else
  echo "== browser accessibility tests (headless Chromium + axe-core)"
  scripts/browser-test.sh
fi

echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

if [ -x scripts/docker-test.sh ] && [ "${SAMVERKA_SKIP_DOCKER:-0}" != 1 ] && docker info >/dev/null 2>&1; then
  echo "== docker multi-host tests"
  scripts/docker-test.sh
fi
