#!/usr/bin/env bash
# Sourced: makes podman usable on this machine (Debian 12 in a sandbox), idempotently.
# - podman, runc and debootstrap from apt (podman 4.3; netavark + aardvark-dns give a bridge network
#   with name resolution between containers, which compose and the tests use).
# - containers.conf settings: `default_ulimits = []`, because the sandbox lacks CAP_SYS_RESOURCE and the OCI
#   runtime fails to set the default rlimits; runtime runc, because cgroups are in hybrid mode, which crun
#   refuses. Set in the config (not as flags) so podman-compose's own podman calls get them too.
set -euo pipefail
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "podman: installing podman, runc and debootstrap from apt" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
# A drop-in, loaded after /etc/containers/containers.conf, so whatever else a machine configures stays.
DROPIN=/etc/containers/containers.conf.d/50-chorus.conf
SETTINGS='[containers]
default_ulimits = []

[engine]
runtime = "runc"'
if [ "$(cat "$DROPIN" 2>/dev/null)" != "$SETTINGS" ]; then
  mkdir -p "$(dirname "$DROPIN")"
  printf '%s\n' "$SETTINGS" >"$DROPIN"
fi
# podman-compose from PyPI (podman 4.3 has no `podman compose`), pinned, in a venv beside the other tools.
PODMAN_COMPOSE_VERSION=1.6.0
PODMAN_COMPOSE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/.venv/bin/podman-compose"
if ! "$PODMAN_COMPOSE" version 2>/dev/null | grep -q "podman-compose version $PODMAN_COMPOSE_VERSION"; then
  echo "podman: installing podman-compose $PODMAN_COMPOSE_VERSION from PyPI" >&2
  python3 -m venv "$(dirname "$(dirname "$PODMAN_COMPOSE")")"
  "$(dirname "$PODMAN_COMPOSE")/pip" install -q "podman-compose==$PODMAN_COMPOSE_VERSION" >&2
fi
export PODMAN_COMPOSE
