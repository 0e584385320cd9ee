#!/usr/bin/env bash
# Where core 0's time goes at one fixed rate: CPU ticks (1/100 s) of redis-server and of each of the 2 nodes
# during one 6-second generator run (after a 2-second warm-up), for TARGET (raw, raw-padded, chorus,
# chorus-compact) at RATE messages/s (1,500 = 1.5 M deliveries/s to 1,000 subscribers). Needs `pnpm build` and
# the generator that `pnpm bench` builds (loadtest/bench/.bin/gen).
#   TARGET=chorus RATE=1500 bash loadtest/bench/profile/cpu-share.sh
# With PERF=1 it also samples all of core 0 with `perf record -C 0` for 3 s of the run and prints its time by
# process and object (kernel, uWS's native module, node, V8's JIT code, redis-server) and the top symbols, then
# counts core 0's write-like syscalls for 1 s: deliveries per syscall is how many frames share a send.
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
if [[ ${PERF:-0} == 1 ]]; then
  (sleep 2 && perf record -q -C 0 -o /tmp/chorus-core0.perf -- sleep 3 >/dev/null 2>&1 &&
    perf stat -x, -C 0 -e syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_write,syscalls:sys_enter_writev \
      -o /tmp/chorus-core0.stat -- sleep 1 >/dev/null 2>&1) &
  PERF_PID=$!
fi
result="$(generate 6)"
after=("$(ticks "$R")" "$(ticks "$N1")" "$(ticks "$N2")")
echo "$TARGET at $RATE msg/s: redis $((after[0] - before[0])) node1 $((after[1] - before[1])) node2 $((after[2] - before[2])) ticks; $result"
if [[ ${PERF:-0} == 1 ]]; then
  wait "$PERF_PID"
  # every write-like syscall on core 0 in 1 s, against the deliveries of that second: how many frames share a send
  sends=$(awk -F, '{ n += $1 } END { print n }' /tmp/chorus-core0.stat)
  echo "write-like syscalls on core 0: $sends in 1 s; deliveries per syscall: $(awk -v s="$sends" -v r="$RATE" 'BEGIN { printf "%.1f", r * 1000 / s }')"
  perf report -i /tmp/chorus-core0.perf --no-children --sort comm,dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
  perf report -i /tmp/chorus-core0.perf --no-children --sort sym 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12 | cut -c1-110
fi
