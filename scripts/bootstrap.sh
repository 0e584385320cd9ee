#!/usr/bin/env bash
# Makes a fresh Debian 12 machine ready to run chorus: pnpm, the workspace, its build, and redis-server (the
# Redis bus and `--cluster`). Idempotent; sourced by start.sh. The test command adds what only tests need
# (scripts/bootstrap-test.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION=10.34.8

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing ${missing[*]} from apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# redis-server for the Redis bus (tests start their own on free ports; none assumes one is running).
command -v redis-server >/dev/null 2>&1 || apt_install redis-server

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm@$PNPM_VERSION from npm"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1
fi

cd "$ROOT"
pnpm install --frozen-lockfile --reporter=silent
pnpm build
