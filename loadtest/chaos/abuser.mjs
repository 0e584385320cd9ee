// The abuse scenario's attack, as its own process: the polite client's latency must measure the gateway,
// not a load generator sharing its event loop. Runs for SECONDS and exits by itself, printing a summary.
//   URL=ws://127.0.0.1:PORT/ws PORT=… ATTACKERS=50 SECONDS=30 CYCLES=5000 node loadtest/chaos/abuser.mjs
import fc from 'fast-check';
import { connect as tcp } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const URL_ = process.env.URL;
const PORT = Number(process.env.PORT);
const ATTACKERS = Number(process.env.ATTACKERS ?? 50);
const SECONDS = Number(process.env.SECONDS ?? 30);
const CYCLES = Number(process.env.CYCLES ?? 5000);
if (!URL_ || !PORT) throw new Error('URL and PORT are required');

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc
    .record({
      type: fc.constantFrom('send', 'join', 'dm', 'history', 'echo', '__proto__', 'constructor'),
      room: fc.string(),
      body: fc.jsonValue(),
      id: fc.oneof(fc.string(), fc.integer()),
    })
    .map((v) => JSON.stringify(v)),
  fc.constant('{"type":"echo","body":{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}}'),
  fc.constant(`{"type":"echo","body":${'['.repeat(5000)}${']'.repeat(5000)}}`),
  fc.constant(`{"type":"echo","body":"${'x'.repeat(20_000)}"}`),
);
const frames = fc.sample(hostile, 2000);
const INVALID_UTF8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1]);
const OVERSIZE = 'y'.repeat(70_000); // over the default maxFrameBytes

const summary = { connections: 0, refusedUpgrades: 0, frames: 0, cycles: 0, slowLoris: 0, closeCodes: {} };
const closed = (code) => (summary.closeCodes[code] = (summary.closeCodes[code] ?? 0) + 1);
const deadline = Date.now() + SECONDS * 1000;
const running = () => Date.now() < deadline;
const loose = [];

/**
 * What one attacker connection sends, by role: fuzzed frames (the 20th bad one closes it with 1008), binary
 * frames (likewise), an oversize frame or invalid UTF-8 (cut at once), or a flood of valid frames far past the
 * rate limit.
 */
const ROLES = [
  (a, round, i) => frames[(a * 100 + round * 40 + i) % frames.length],
  () => Buffer.from([1, 2, 3]),
  (_a, round, i) => (i < 10 ? frames[i] : round % 2 ? INVALID_UTF8 : OVERSIZE),
  (a, round, i) => JSON.stringify({ type: 'echo', body: { a, round, i } }),
];
const FRAMES_PER_ROUND = 40;
const FLOOD_PER_ROUND = 600; // three times the bucket of the test's RATE_PER_SEC=200

/** Connect, fire a burst of frames in the attacker's role, linger 50 ms, cut; again until the deadline. */
const attacker = async (a) => {
  const role = a % ROLES.length;
  const count = role === 3 ? FLOOD_PER_ROUND : FRAMES_PER_ROUND;
  for (let round = 0; running(); round++) {
    const ws = new WebSocket(`${URL_}?user=evil${a}`);
    loose.push(ws);
    ws.on('close', closed);
    ws.on('error', () => undefined); // refused upgrades and cut sockets are the point, not failures
    ws.on('unexpected-response', (_req, res) => {
      summary.refusedUpgrades++;
      res.resume();
      ws.terminate();
    });
    await new Promise((resolve) => ws.once('open', resolve).once('close', resolve));
    if (ws.readyState === WebSocket.OPEN) summary.connections++;
    for (let i = 0; i < count && ws.readyState === WebSocket.OPEN; i++) {
      const frame = ROLES[role](a, round, i);
      ws.send(frame, { binary: role === 1 });
      summary.frames++;
    }
    await sleep(50);
    ws.terminate();
  }
};

/** Upgrade requests that trickle in a header a second (slow-loris), never finishing their handshake. */
const slowLoris = async () => {
  for (let i = 0; i < 20 && running(); i++) {
    const s = tcp(PORT, '127.0.0.1');
    loose.push(s);
    s.on('error', () => undefined);
    s.write('GET /ws?user=loris HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => (s.writable ? s.write(`X-Slow-${i}: 1\r\n`) : clearInterval(drip)), 1000);
    s.on('close', () => clearInterval(drip));
    summary.slowLoris++;
    await sleep(100);
  }
};

/** Rapid connect/close cycles, spread over the run. */
const cycles = async () => {
  const pause = (SECONDS * 1000) / (CYCLES / 50);
  for (let i = 0; i < CYCLES && running(); i++) {
    const ws = new WebSocket(`${URL_}?user=cycler${i % 10}`);
    loose.push(ws);
    ws.on('error', () => undefined);
    ws.on('open', () => ws.close());
    summary.cycles++;
    if (i % 50 === 49) await sleep(pause);
  }
};

process.stdout.write('attacking\n');
await Promise.all([...Array.from({ length: ATTACKERS }, (_, a) => attacker(a)), slowLoris(), cycles()]);
for (const s of loose) {
  if (s instanceof WebSocket) s.terminate();
  else s.destroy();
}
process.stdout.write(JSON.stringify(summary) + '\n');
process.exit(0);
