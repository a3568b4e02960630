#!/usr/bin/env bash
# The main job: a demo federation (Norrbotten's 14 kommuner, Luleå as host) as separate nodes
# on loopback, each with its own store, keys and API port. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p samverka-node --bin samverka
exec target/release/samverka demo "$@"
