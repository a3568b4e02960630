#!/usr/bin/env bash
# Builds the two benchmark programs in release mode and runs them; each prints its figures beside
# the physical limit measured in the same run. Sizes: RECORDS (catch-up, reconcile; default
# 1000000), STORE_RECORDS (storage; default 1000000), BIG_NODES (propagation; default 290).
# Stores of signed records are generated once and kept under $CARGO_TARGET_DIR/bench-data.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p samverka-node --bin samverka-bench --bin samverka-bench-net
bin="${CARGO_TARGET_DIR:-target}/release"

echo "== machine: $(nproc) cores; $(uptime)"
echo "== storage"
"$bin/samverka-bench" ingest
"$bin/samverka-bench" store --records "${STORE_RECORDS:-1000000}"
echo "== replication"
"$bin/samverka-bench-net" catchup --records "${RECORDS:-1000000}"
"$bin/samverka-bench-net" reconcile --records "${RECORDS:-1000000}"
"$bin/samverka-bench-net" propagate --nodes 14
"$bin/samverka-bench-net" propagate --nodes "${BIG_NODES:-290}"
