#!/usr/bin/env bash
# Makes a fresh Debian 12 machine ready to build, run and test chorus. Idempotent; sourced by start.sh and test.sh.
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

# redis-server for the Redis bus and the tests (which start their own on free ports).
command -v redis-server >/dev/null 2>&1 || apt_install redis-server
# The package enables a system-wide service; chorus never uses it, and tests never assume it.
# Debian's chromium for the browser tests (playwright-core drives it; no browser download is possible here),
# HAProxy for the load-balancer test, ShellCheck for the scripts, redis-sentinel for the failover scenarios,
# nftables and iproute2 for the network-namespace partitions (they run as root, as CI does).
apt_install chromium haproxy shellcheck redis-sentinel nftables iproute2

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm@$PNPM_VERSION from npm"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1
fi

# k6 for the load tests: built with Go into loadtest/.k6 (it is on neither npm nor apt).
bash "$ROOT/loadtest/install-k6.sh" >/dev/null
# kustomize and compose-validate, built with Go, for the deployment checks.
bash "$ROOT/deploy/tools/install.sh"

cd "$ROOT"
pnpm install --frozen-lockfile --reporter=silent
pnpm build
