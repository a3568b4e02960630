#!/usr/bin/env bash
# Builds the FROM-scratch image `samverka:dev` around a `samverka` binary.
#
# By default (for operators) the binary is a statically linked release build, with its own target
# dir so it never waits on, or invalidates, the usual builds. With SAMVERKA_DOCKER_BIN set to an
# already built binary (the tests use target/debug/samverka, which `cargo test` has just built)
# that binary goes in instead, and if it is dynamically linked, the shared libraries `ldd` names
# and its loader go in beside it at the same paths: the image still holds nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${SAMVERKA_DOCKER_BIN:-}" ]; then
  bin="$SAMVERKA_DOCKER_BIN"
else
  target=x86_64-unknown-linux-gnu
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/static}"
  RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --target "$target" -p samverka-node --bin samverka
  bin="$CARGO_TARGET_DIR/$target/release/samverka"
  if readelf -lW "$bin" | grep -q 'program interpreter'; then
    echo "error: $bin is dynamically linked; the scratch image cannot run it" >&2
    exit 1
  fi
fi
context="$PWD/target/docker/context"
rm -rf "$context" && mkdir -p "$context"
strip -o "$context/samverka" "$bin"
if readelf -lW "$bin" | grep -q 'program interpreter'; then
  # Every absolute path ldd prints: the libraries and the loader (the ELF interpreter).
  for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
    mkdir -p "$context$(dirname "$lib")"
    cp -L "$lib" "$context$lib"
  done
fi
docker build --quiet -t samverka:dev -f docker/Dockerfile "$context"
echo "image samverka:dev ($(du -sh "$context" | cut -f1): $(cd "$context" && find . -type f | sort | tr '\n' ' '))"
