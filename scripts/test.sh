#!/usr/bin/env bash
# One command for the whole suite on a fresh machine: bootstrap, lint, typecheck, every test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap-test.sh"
cd "$ROOT"
pnpm lint
mkdir -p test-artifacts
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# A plain closing line that any CI reader understands (the quotes keep bash away from the JS template).
# shellcheck disable=SC2016
node -e '
  const r = require("./test-artifacts/vitest.json");
  // A suite that failed in a hook fails no test of its own: count it, so a red run never reads "0 failed".
  const failed = r.numFailedTests + (r.success ? 0 : Math.max(r.numFailedTestSuites, 1) * (r.numFailedTests === 0 ? 1 : 0));
  console.log(`${r.numPassedTests} passed, ${failed} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
