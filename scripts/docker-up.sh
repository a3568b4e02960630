#!/usr/bin/env bash
# Starts the five-member demo federation of docker/compose.yaml (image from
# scripts/docker-build.sh): prepares each member's data dir, starts the containers, prints the
# APIs. Stop with: COMPOSE_PROJECT_NAME=samverka docker-compose -f docker/compose.yaml down
set -euo pipefail
cd "$(dirname "$0")/.."
# The binary the image was built from (scripts/docker-build.sh), run here to prepare the data dirs.
bin="${SAMVERKA_DOCKER_BIN:-${CARGO_TARGET_DIR:-$PWD/target/static}/x86_64-unknown-linux-gnu/release/samverka}"
export SAMVERKA_DOCKER_DATA="${SAMVERKA_DOCKER_DATA:-$PWD/target/docker/data}"
export COMPOSE_PROJECT_NAME=samverka
members=$("$bin" demo --members 5 --dir "$SAMVERKA_DOCKER_DATA" --prepare-only)
host_peer=$(awk '$1 == "2580" { print $2 }' <<<"$members")
grep -q "/p2p/$host_peer\$" docker/compose.yaml || {
  echo "error: docker/compose.yaml does not bootstrap to the host's peer id $host_peer" >&2
  exit 1
}
# The image runs as uid 10001 (see docker/Dockerfile).
chown -R 10001:10001 "$SAMVERKA_DOCKER_DATA"
docker-compose -f docker/compose.yaml up -d
token="${SAMVERKA_API_TOKEN:-samverka-docker-dev-token}"
echo "kod   API (operator token: $token)"
while read -r kod _; do
  ip=$(docker inspect -f '{{(index .NetworkSettings.Networks "samverka_operator").IPAddress}}' "samverka-$kod")
  echo "$kod  http://$ip:7080/api/v1/status"
done <<<"$members"
