#!/usr/bin/env bash
# Builds a pinned k6 with Go into loadtest/.k6/bin (k6 is on neither npm nor apt); reuses it when present.
set -euo pipefail
K6_VERSION="${K6_VERSION:-v1.8.1}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$HERE/.k6/bin"
if [ -x "$BIN/k6" ] && "$BIN/k6" version 2>/dev/null | grep -q "${K6_VERSION#v}"; then
  echo "$BIN/k6"
  exit 0
fi
command -v go >/dev/null || { echo "install-k6: Go is required (https://go.dev/dl)" >&2; exit 1; }
mkdir -p "$BIN"
echo "install-k6: building go.k6.io/k6@$K6_VERSION (a few minutes the first time)" >&2
GOBIN="$BIN" GOFLAGS=-mod=mod go install "go.k6.io/k6@$K6_VERSION" >&2
echo "$BIN/k6"
