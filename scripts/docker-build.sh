#!/usr/bin/env bash
# Builds a statically linked `samverka` and the FROM-scratch image `samverka:dev` around it.
# The build has its own target dir so it never waits on, or invalidates, the usual builds.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/static}"
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --target "$target" -p samverka-node --bin samverka
bin="$CARGO_TARGET_DIR/$target/release/samverka"
if readelf -lW "$bin" | grep -q 'program interpreter'; then
  echo "error: $bin is dynamically linked; the scratch image cannot run it" >&2
  exit 1
fi
context="$PWD/target/docker/context"
rm -rf "$context" && mkdir -p "$context"
strip -o "$context/samverka" "$bin"
docker build --quiet -t samverka:dev -f docker/Dockerfile "$context"
echo "image samverka:dev ($(du -h "$context/samverka" | cut -f1) binary)"
