#!/usr/bin/env bash
# What the suite needs beyond running chorus (scripts/bootstrap.sh, sourced first). Idempotent; sourced by test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"

# Debian's chromium for the browser tests (playwright-core drives it; no browser download is possible here),
# HAProxy for the load-balancer test, ShellCheck for the scripts, redis-sentinel for the failover scenarios,
# nftables and iproute2 for the network-namespace partitions (they run as root, as CI does).
apt_install chromium haproxy shellcheck redis-sentinel nftables iproute2

# k6 for the load tests: built with Go into loadtest/.k6 (it is on neither npm nor apt).
bash "$ROOT/loadtest/install-k6.sh" >/dev/null
# kustomize and compose-validate, built with Go, for the deployment checks.
bash "$ROOT/deploy/tools/install.sh"
# podman, runc, debootstrap and podman-compose for the container tests (deploy/podman); the images themselves
# are made by the tests (deploy/podman/images.sh), cached between runs.
source "$ROOT/deploy/podman/podman.sh"
