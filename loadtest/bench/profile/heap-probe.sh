#!/usr/bin/env bash
# Where an idle joined connection's memory goes: one node over redis-server, N (10,000) idle connections from
# the generator, each joined to one of ROOMS (100) rooms; the node's RSS, V8 heap committed and heap in use per
# connection, read from /metrics after each of WAITS (seconds after the storm; `snap` takes a heap snapshot,
# which collects everything first, so heap in use is then live data only). GW_FLAGS are node flags for the
# gateway (`--heapsnapshot-signal=SIGUSR2` for `snap`), HEAP_MODE its setting. Needs `pnpm build` and the
# generator that `pnpm bench` builds (loadtest/bench/.bin/gen).
#   WAITS="3 10 20" bash loadtest/bench/profile/heap-probe.sh
#   GW_FLAGS=--heapsnapshot-signal=SIGUSR2 WAITS="3 snap" bash loadtest/bench/profile/heap-probe.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
N="${N:-10000}" ROOMS="${ROOMS:-100}" WAITS="${WAITS:-3 10 20}"
# fixed ports below the ephemeral range: 10,000 client sockets take ephemeral ports
RP=16499 GP=18199
WORK="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no > "$WORK/redis.log" 2>&1 & pids+=($!)
sleep 0.5
# shellcheck disable=SC2086 # GW_FLAGS is a list of flags
(cd "$WORK" && PORT=$GP HOST=127.0.0.1 REDIS_URL="redis://127.0.0.1:$RP" NODE_ID=probe RATE_PER_SEC=1000000 \
  LOG_LEVEL=warn MAX_CONNECTIONS=100000 HEAP_MODE="${HEAP_MODE:-fast}" \
  exec node ${GW_FLAGS:-} "$ROOT/services/gateway/dist/main.js" > "$WORK/gateway.log" 2>&1) & GPID=$!
pids+=("$GPID")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GP/healthz" > /dev/null && break; sleep 0.1; done
metrics() {
  curl -s "http://127.0.0.1:$GP/metrics" |
    grep -E '^chorus_(process_resident_memory_bytes|nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes) '
}
sleep 1
BEFORE="$(metrics)"
"$ROOT/loadtest/bench/.bin/gen" --mode idle --target chorus --urls "ws://127.0.0.1:$GP/ws" --subs "$N" \
  --idle-rooms "$ROOMS" > "$WORK/gen.out" 2>&1 & pids+=($!)
for _ in $(seq 1200); do grep -q connections "$WORK/gen.out" && break; sleep 0.1; done
head -1 "$WORK/gen.out"
for wait in $WAITS; do
  if [ "$wait" = snap ]; then
    kill -USR2 "$GPID" # the snapshot lands in $WORK, the node's working directory
    sleep 8
  else
    sleep "$wait"
  fi
  echo "--- +$wait"
  python3 - "$BEFORE" "$(metrics)" "$N" <<'PY'
import sys
before = dict(l.rsplit(' ', 1) for l in sys.argv[1].splitlines())
after = dict(l.rsplit(' ', 1) for l in sys.argv[2].splitlines())
n = int(sys.argv[3])
for k, v in after.items():
    print(f"{k.removeprefix('chorus_')}: {(float(v) - float(before[k])) / n:,.0f} B per connection ({float(v) / 2**20:,.1f} MiB)")
PY
done
