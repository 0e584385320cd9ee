#!/usr/bin/env bash
# compose.yaml, unchanged, on podman: the images made here, then podman-compose with the arguments given.
#   ADMIN_TOKEN=$(openssl rand -hex 32) bash deploy/podman/compose.sh up -d
#   bash deploy/podman/compose.sh down -v
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ "${1:-}" = up ]; then bash "$ROOT/deploy/podman/images.sh"; fi
source "$ROOT/deploy/podman/podman.sh"
exec "$PODMAN_COMPOSE" -f "$ROOT/deploy/compose.yaml" "$@"
