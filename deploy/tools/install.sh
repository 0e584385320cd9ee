#!/usr/bin/env bash
# Builds the deployment validators with Go into deploy/tools/.bin (reused when present):
#   kustomize         renders deploy/k8s overlays
#   compose-validate  loads compose.yaml with compose-go, the Compose specification's reference loader
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$HERE/.bin"
KUSTOMIZE_VERSION=v5.7.1
mkdir -p "$BIN"
if ! "$BIN/kustomize" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"; then
  echo "deploy/tools: building kustomize $KUSTOMIZE_VERSION" >&2
  GOBIN="$BIN" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
fi
if [ ! -x "$BIN/compose-validate" ] || [ "$HERE/compose-validate/main.go" -nt "$BIN/compose-validate" ]; then
  echo "deploy/tools: building compose-validate" >&2
  (cd "$HERE/compose-validate" && GOFLAGS=-mod=mod go build -o "$BIN/compose-validate" .) >&2
fi
