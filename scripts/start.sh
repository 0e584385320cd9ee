#!/usr/bin/env bash
# One command to run chorus.
#   bash scripts/start.sh            one node on the in-memory bus (or on REDIS_URL when it is set)
#   bash scripts/start.sh --cluster  redis-server + NODES (default 3) gateways on consecutive ports
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
if [ "${1:-}" = "--cluster" ]; then exec node scripts/cluster.mjs; fi
exec node services/gateway/dist/main.js
