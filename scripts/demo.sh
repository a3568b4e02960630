#!/usr/bin/env bash
# The main job: a demo federation (Norrbotten's 14 kommuner, Luleå as host) as separate nodes
# on loopback, each with its own store, keys and API port, seeded with matters, a meeting, votes,
# a closing and justerade minutes (node/src/demo/content.rs). Ctrl-C stops it.
# Builds the same (dev) profile as the tests, so after `scripts/test.sh` nothing is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p samverka-node --bin samverka
exec "${CARGO_TARGET_DIR:-target}/debug/samverka" demo "$@"
