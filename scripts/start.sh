#!/usr/bin/env bash
# One command to run chorus: a single node on the in-memory bus (or on REDIS_URL when it is set).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec node services/gateway/dist/main.js
