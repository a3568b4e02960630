#!/usr/bin/env bash
# The multi-host tests: builds the image, starts the compose federation, runs
# tests/tests/docker.rs against it, and always takes the federation and its data down.
set -euo pipefail
cd "$(dirname "$0")/.."
export COMPOSE_PROJECT_NAME=samverka
export SAMVERKA_DOCKER_DATA="$PWD/target/docker/data"
down() {
  docker-compose -f docker/compose.yaml down --remove-orphans --timeout 5 || true
  rm -rf "$SAMVERKA_DOCKER_DATA"
}
trap down EXIT
down
# The debug binary `cargo test` has built: a static release build would take CI minutes more.
cargo build -q -p samverka-node --bin samverka
export SAMVERKA_DOCKER_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/samverka"
scripts/docker-build.sh
scripts/docker-up.sh
SAMVERKA_DOCKER_TESTS=1 cargo test -p samverka-tests --test docker -- --test-threads=1 --nocapture
