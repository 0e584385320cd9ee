#!/usr/bin/env bash
# Where core 0's time goes at one fixed rate: CPU ticks (1/100 s) of redis-server and of each of the 2 nodes
# during one 6-second generator run (after a 2-second warm-up), for TARGET (raw, raw-padded, chorus,
# chorus-compact) at RATE messages/s (1,500 = 1.5 M deliveries/s to 1,000 subscribers). Needs `pnpm build` and
# the generator that `pnpm bench` builds (loadtest/bench/.bin/gen).
#   TARGET=chorus RATE=1500 bash loadtest/bench/profile/cpu-share.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
TARGET="${TARGET:-chorus}"
RATE="${RATE:-1500}"
RP=16399 P1=18101 P2=18102
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
server() { # port
  if [[ $TARGET == raw* ]]; then
    PORT="$1" REDIS_URL="redis://127.0.0.1:$RP" exec taskset -c 0 node "$ROOT/loadtest/bench/servers/raw-uws.mjs"
  else
    PORT="$1" NODE_ID="n$1" REDIS_URL="redis://127.0.0.1:$RP" RATE_PER_SEC=1000000 LOG_LEVEL=warn HOST=127.0.0.1 \
      MAX_BACKPRESSURE_BYTES=16777216 exec taskset -c 0 node "$ROOT/services/gateway/dist/main.js"
  fi
}
generate() { # seconds
  GOMAXPROCS=1 taskset -c 1 "$ROOT/loadtest/bench/.bin/gen" --target "$TARGET" \
    --urls "ws://127.0.0.1:$P1/ws,ws://127.0.0.1:$P2/ws" --subs 1000 --pubs 4 --rate "$RATE" --seconds "$1" | tail -n 1
}
taskset -c 0 redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
R=$!
sleep 0.5
server "$P1" >/dev/null 2>&1 &
N1=$!
server "$P2" >/dev/null 2>&1 &
N2=$!
trap 'kill "$N1" "$N2" "$R" 2>/dev/null || true' EXIT
sleep 1.5
generate 2 >/dev/null
before=("$(ticks "$R")" "$(ticks "$N1")" "$(ticks "$N2")")
result="$(generate 6)"
after=("$(ticks "$R")" "$(ticks "$N1")" "$(ticks "$N2")")
echo "$TARGET at $RATE msg/s: redis $((after[0] - before[0])) node1 $((after[1] - before[1])) node2 $((after[2] - before[2])) ticks; $result"
