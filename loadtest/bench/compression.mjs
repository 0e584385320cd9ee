#!/usr/bin/env node
// COMPRESSION=off, shared and dedicated, side by side in one run: bytes on the wire and gateway CPU per
// delivery, at a fixed rate that leaves both the node and this generator headroom (each printed).
//   pnpm build && node loadtest/bench/compression.mjs
// Env: SUBS (200), RATE (messages/s, 20), SECONDS (5), RUNS (3, the order rotating), ENCODING (compact|json).
// The gateway runs on core 0, this generator on core 1 (taskset). Writes loadtest/results/compression-<time>.json
// and prints a markdown table.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, rssOf, sleep } from './processes.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SUBS = Number(process.env.SUBS ?? 200);
// ws inflates in JavaScript: at 80 messages/s (16,000 deliveries/s) with deflate the generator's core was full
const RATE = Number(process.env.RATE ?? 20);
const SECONDS = Number(process.env.SECONDS ?? 5);
const RUNS = Number(process.env.RUNS ?? 3);
const PROTOCOL = (process.env.ENCODING ?? 'compact') === 'compact' ? 'chorus.v1.compact' : 'chorus.v1';
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
try {
  execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
} catch {
  /* one core, or no taskset: the numbers still compare, the headroom line says what the generator used */
}

const cpuSeconds = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime
};

// Chat-like bodies: short sentences from a small vocabulary, each different (a counter, a random pick).
const WORDS = 'the a to and of you I it is that we on for this are be with have can just not so what'.split(' ');
const bodyOf = (i) => ({
  text: Array.from(
    { length: 12 },
    (_, k) => WORDS[(i * 7 + k * 13 + Math.floor(Math.random() * 5)) % WORDS.length],
  ).join(' '),
  i,
});

const open = (url, user) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?user=${user}`, [PROTOCOL], { perMessageDeflate: true });
    ws.once('error', reject);
    ws.on('message', function first(data) {
      if (String(data).startsWith('{"type":"welcome"')) {
        ws.off('message', first);
        resolve(ws);
      }
    });
  });
const request = (ws, frame) =>
  new Promise((resolve) => {
    const id = Math.random().toString(36).slice(2);
    const on = (data) => {
      if (String(data).includes(`"id":"${id}"`)) {
        ws.off('message', on);
        resolve();
      }
    };
    ws.on('message', on);
    ws.send(JSON.stringify({ ...frame, id }));
  });

const measure = async (compression) => {
  const port = await freePort();
  const node = spawn('taskset', ['-c', '0', process.execPath, `${root}services/gateway/dist/main.js`], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      COMPRESSION: compression,
      LOG_LEVEL: 'warn',
      RATE_PER_SEC: '100000',
    },
    stdio: 'ignore',
  });
  try {
    const url = `ws://127.0.0.1:${port}/ws`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 100) throw new Error('gateway did not start');
      await sleep(100);
    }
    const rss0 = rssOf(node.pid);
    const subs = [];
    for (let i = 0; i < SUBS; i++) subs.push(await open(url, `sub${i}`));
    await Promise.all(subs.map((ws) => request(ws, { type: 'join', room: 'bench' })));
    const publisher = await open(url, 'publisher');
    await request(publisher, { type: 'join', room: 'bench' }); // a room's members publish (the default namespace)
    let delivered = 0;
    // room messages only (presence and acks are not deliveries): an array (compact) or a v1 message frame
    const isMessage = (data) => data[0] === 0x5b || data.subarray(0, 17).toString() === '{"type":"message"';
    for (const ws of subs) ws.on('message', (data) => isMessage(data) && delivered++);
    const bytes = () => subs.reduce((n, ws) => n + ws._socket.bytesRead, 0);
    const [bytes0, server0, gen0, t0] = [bytes(), cpuSeconds(node.pid), process.cpuUsage(), Date.now()];
    const total = RATE * SECONDS;
    for (let i = 0; i < total; i++) {
      publisher.send(JSON.stringify({ type: 'send', room: 'bench', body: bodyOf(i) }));
      const due = t0 + ((i + 1) * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const deadline = Date.now() + 10_000;
    while (delivered < total * SUBS && Date.now() < deadline) await sleep(20);
    const seconds = (Date.now() - t0) / 1000;
    const gen = process.cpuUsage(gen0);
    const result = {
      compression,
      deliveries: delivered,
      lost: total * SUBS - delivered,
      bytesPerDelivery: (bytes() - bytes0) / delivered,
      serverCpuMicrosPerDelivery: ((cpuSeconds(node.pid) - server0) * 1e6) / delivered,
      serverCpuPercent: ((cpuSeconds(node.pid) - server0) / seconds) * 100,
      // after traffic, so each socket's compressor state (dedicated) is allocated
      rssPerConnectionBytes: (rssOf(node.pid) - rss0) / SUBS,
      generatorCpuPercent: ((gen.user + gen.system) / 1e6 / seconds) * 100,
    };
    for (const ws of [...subs, publisher]) ws.terminate();
    return result;
  } finally {
    node.kill('SIGKILL');
  }
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MODES = ['off', 'shared', 'dedicated'];
const runs = Object.fromEntries(MODES.map((m) => [m, []]));
for (let r = 0; r < RUNS; r++) {
  // the order rotates, so no mode always runs first (or last) on this noisy machine
  for (const c of MODES.map((_, k) => MODES[(k + r) % MODES.length])) {
    const result = await measure(c);
    runs[c].push(result);
    console.error(JSON.stringify(result));
  }
}
const row = (key, digits = 1) => {
  const [off, shared, dedicated] = MODES.map((c) => runs[c].map((x) => x[key]));
  const f = (xs) =>
    `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
  const ratio = (xs) => (median(off) ? `${(median(xs) / median(off)).toFixed(2)}×` : '–');
  return `| ${key} | ${f(off)} | ${f(shared)} (${ratio(shared)}) | ${f(dedicated)} (${ratio(dedicated)}) |`;
};
const at = new Date().toISOString();
const table = [
  `${SUBS} subscribers (deflate offered), ${RATE} messages/s for ${SECONDS} s, ${PROTOCOL}, median of ${RUNS} (min–max); gateway on core 0, generator on core 1.`,
  '',
  '| | COMPRESSION=off | COMPRESSION=shared (÷ off) | COMPRESSION=dedicated (÷ off) |',
  '|---|---|---|---|',
  row('bytesPerDelivery'),
  row('serverCpuMicrosPerDelivery', 2),
  row('serverCpuPercent'),
  row('rssPerConnectionBytes', 0),
  row('generatorCpuPercent'),
  row('lost', 0),
].join('\n');
writeFileSync(
  `${root}loadtest/results/compression-${at.replace(/[:.]/g, '-')}.json`,
  JSON.stringify({ at, SUBS, RATE, SECONDS, PROTOCOL, runs }, null, 2),
);
console.log(table);
const busiest = Math.max(...Object.values(runs).flatMap((rs) => rs.map((r) => r.generatorCpuPercent)));
if (busiest > 80) {
  console.log(
    `\nREFUSED: the generator used ${busiest.toFixed(0)} % of its core in some run: it, not the gateway, was measured. Lower RATE or SUBS.`,
  );
  process.exit(1);
}
