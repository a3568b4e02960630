#!/usr/bin/env bash
# Checks that the HTTP API does what its OpenAPI document (derived from the code, served at
# /api/v1/openapi.json) says: starts one node of a small demo federation on loopback and runs
# schemathesis (from PyPI, in a venv under target/) against that document with every check. Exits non-zero when schemathesis finds anything.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
fi

cargo build --quiet -p samverka-node --bin samverka
bin="$target/debug/samverka"
work=$(mktemp -d)
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
p2p=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
host=$("$bin" demo --members 3 --dir "$work" --prepare-only | awk 'NR == 1 { print $1 }')
SAMVERKA_API_TOKEN=schemathesis-token RUST_LOG=warn "$bin" --data-dir "$work/$host" run \
  --api-listen "127.0.0.1:$port" --p2p-listen "/ip4/127.0.0.1/tcp/$p2p" 2>"$work/node.log" &
node_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/node.log" >&2; exit 1; }

status=0
timeout 170 "$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --checks all --max-examples "${SAMVERKA_SCHEMATHESIS_EXAMPLES:-20}" --seed "${SAMVERKA_SCHEMATHESIS_SEED:-1}" \
  --header "Authorization: Bearer schemathesis-token" || status=$?
if [ "$status" != 0 ]; then
  echo "schemathesis found a mismatch between the API and its document (exit $status); node log:" >&2
  tail -n 20 "$work/node.log" >&2
fi
exit "$status"
