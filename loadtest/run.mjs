#!/usr/bin/env node
// `pnpm loadtest <scenario>`: builds k6 if needed, starts a local cluster (redis + NODES gateways), runs the
// scenario against every node, writes the k6 summary JSON and a short table to loadtest/results/, and stops
// everything. Parameters come from the environment (NODES, S, P, R, DURATION, N, PAIRS, USERS, ROOMS, ...).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = ['fanout', 'rooms', 'dms', 'storm', 'soak'];
const scenario = process.argv[2];
if (!SCENARIOS.includes(scenario)) {
  console.error(`usage: pnpm loadtest <${SCENARIOS.join('|')}>  (parameters by env; see loadtest/README.md)`);
  process.exit(2);
}
const nodes = Number(process.env.NODES ?? 2);
const label = process.env.LABEL ?? scenario;

const isFree = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
/** A run of `count` consecutive free ports, for the gateways that cluster.mjs puts on PORT, PORT+1, ... */
const freeRun = async (count, from = 20_000 + Math.floor(Math.random() * 10_000)) => {
  // Below the ephemeral range (32768+): a port there can be held by an outgoing connection in TIME_WAIT,
  // which uWebSockets.js cannot listen over even when a probe bind succeeds.
  for (let base = from; base < 32_000; base += count + 1) {
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error('no free ports');
};

const k6 = execFileSync('bash', [`${here}install-k6.sh`], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const base = await freeRun(nodes);
const redisPort = await freeRun(1, base + nodes + 1);

// The cluster under test: rate limits are lifted because the load generator sends from few connections.
const cluster = spawn(process.execPath, [`${root}scripts/cluster.mjs`], {
  env: {
    ...process.env,
    NODES: String(nodes),
    PORT: String(base),
    REDIS_PORT: String(redisPort),
    DASHBOARD_PORT: 'off',
    RATE_PER_SEC: process.env.RATE_PER_SEC ?? '100000',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    DRAIN_MS: '500',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const stopCluster = () =>
  new Promise((resolve) => {
    if (cluster.exitCode !== null) return resolve();
    cluster.once('exit', resolve);
    cluster.kill('SIGINT');
  });
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('cluster did not start')), 30_000);
  createInterface({ input: cluster.stdout }).on('line', (line) => {
    if (line.includes('chorus cluster ready')) {
      clearTimeout(timer);
      resolve();
    }
  });
  cluster.once('exit', (code) => reject(new Error(`cluster exited with ${code}`)));
});

const urls = Array.from({ length: nodes }, (_, i) => `ws://127.0.0.1:${base + i}/ws`).join(',');
console.log(`cluster under test: ${urls}`); // soak.mjs reads this to sample the nodes' /metrics
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
mkdirSync(`${here}results`, { recursive: true });
const summaryPath = `${here}results/${label}-${stamp}.json`;
const started = Date.now();
const code = await new Promise((resolve) => {
  const run = spawn(
    k6,
    [
      'run',
      '--quiet',
      `--summary-export=${summaryPath}`,
      '-e',
      `URLS=${urls}`,
      '-e',
      `ROOM=${scenario}-${stamp}`,
      `${here}scenarios/${scenario}.js`,
    ],
    {
      stdio: 'inherit',
      env: { ...process.env, K6_NO_USAGE_REPORT: 'true' },
    },
  );
  run.once('exit', (c) => resolve(c ?? 1));
});
await stopCluster();

// A short table beside the JSON: what was asked, what came out, and whether every threshold held.
const summary = JSON.parse(readFileSync(summaryPath, 'utf8'));
const metric = (name) => summary.metrics[name] ?? {};
const fmt = (v, digits = 1) => (v === undefined ? '—' : Number(v).toFixed(digits));
const failed = Object.entries(summary.metrics).flatMap(([name, m]) =>
  Object.entries(m.thresholds ?? {})
    .filter(([, ok]) => ok === true) // summary-export marks a crossed threshold as true
    .map(([t]) => `${name} ${t}`),
);
const params = ['S', 'P', 'R', 'DURATION', 'N', 'RAMP', 'HOLD', 'PAIRS', 'USERS', 'ROOMS', 'K']
  .filter((k) => process.env[k])
  .map((k) => `${k}=${process.env[k]}`);
const table = `# ${label} — ${new Date(started).toISOString()}

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; k6 ${execFileSync(k6, ['version'], { encoding: 'utf8' }).split(' ')[1]}.
Cluster: ${nodes} gateways + 1 redis-server on loopback, the load generator on the same machine.
Parameters: ${params.join(' ') || 'defaults'} (scenario \`loadtest/scenarios/${scenario}.js\`).

| metric | value |
|---|---|
| published (acked) | ${fmt(metric('chorus_published').count, 0)} |
| deliveries | ${fmt(metric('chorus_deliveries').count, 0)} (${fmt(metric('chorus_deliveries').rate, 0)}/s) |
| lost | ${fmt(metric('chorus_lost').count ?? 0, 0)} |
| out of order / repeated | ${fmt(metric('chorus_disordered').count ?? 0, 0)} |
| latency p50 / p99 / max (ms) | ${fmt(metric('chorus_latency_ms').med)} / ${fmt(metric('chorus_latency_ms')['p(99)'])} / ${fmt(metric('chorus_latency_ms').max)} |
| welcome p95 (ms, storm) | ${fmt(metric('chorus_welcome_ms')['p(95)'])} |
| errors | ${fmt(metric('chorus_errors').count ?? 0, 0)} |
| thresholds | ${failed.length === 0 ? 'all passed' : `FAILED: ${failed.join('; ')}`} |

k6 exit code ${code}; summary JSON: \`${summaryPath.slice(root.length)}\`.
`;
writeFileSync(summaryPath.replace(/\.json$/, '.md'), table);
process.stdout.write(`\n${table}`);
process.exit(code);
