#!/usr/bin/env node
// `pnpm cluster`: redis-server plus N gateway nodes on consecutive ports, as plain local processes (no Docker).
// Env: NODES (3), PORT (first gateway port, 8080), REDIS_PORT (6390), REDIS_URL (use an existing Redis instead),
// DASHBOARD_PORT (8090; "off" for none), ADMIN_TOKEN (a random one is made and printed when unset: the server API
// and the dashboard's admin view use it). Stops everything on SIGINT/SIGTERM: gateways drain first, then Redis.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nodes = Number(process.env.NODES ?? 3);
const basePort = Number(process.env.PORT ?? 8080);
const redisPort = Number(process.env.REDIS_PORT ?? 6390);
const dashboardPort = process.env.DASHBOARD_PORT ?? '8090';
const adminToken = process.env.ADMIN_TOKEN ?? randomBytes(16).toString('hex');
const children = [];

const prefixed = (name, stream) =>
  createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));

/** Resolves when `ready()` says so (a log line for redis, an HTTP probe for our services). */
const waitFor = (child, name, ready) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 15_000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    if (ready instanceof RegExp) {
      createInterface({ input: child.stdout }).on('line', (line) => ready.test(line) && done());
      return;
    }
    const probe = () =>
      fetch(ready)
        .then((res) => (res.ok ? done() : setTimeout(probe, 50)))
        .catch(() => child.exitCode === null && setTimeout(probe, 50));
    probe();
  });

const start = (name, command, args, env, ready) => {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push({ name, child });
  prefixed(name, child.stdout);
  prefixed(name, child.stderr);
  return waitFor(child, name, ready);
};

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  const gateways = children.filter((c) => c.name !== 'redis');
  await Promise.all(
    gateways.map(
      ({ child }) =>
        new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))),
    ),
  );
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exit(code);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'chorus-cluster-'));
    const args = ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    await start('redis', 'redis-server', args, {}, /Ready to accept connections/);
    redisUrl = `redis://127.0.0.1:${redisPort}`;
  }
  await Promise.all(
    Array.from({ length: nodes }, (_, i) =>
      start(
        `node-${i + 1}`,
        process.execPath,
        [join(root, 'services/gateway/dist/main.js')],
        { PORT: String(basePort + i), NODE_ID: `node-${i + 1}`, REDIS_URL: redisUrl, ADMIN_TOKEN: adminToken },
        `http://127.0.0.1:${basePort + i}/readyz`,
      ),
    ),
  );
  if (dashboardPort !== 'off') {
    const main = join(root, 'services/dashboard/dist/main.js');
    await start(
      'dashboard',
      process.execPath,
      [main],
      {
        PORT: dashboardPort,
        REDIS_URL: redisUrl,
        ADMIN_TOKEN: adminToken,
        GATEWAY_URL: `http://127.0.0.1:${basePort}`,
      },
      `http://127.0.0.1:${dashboardPort}/readyz`,
    );
  }
  const urls = Array.from({ length: nodes }, (_, i) => `  test page http://127.0.0.1:${basePort + i}/`);
  if (dashboardPort !== 'off') urls.push(`  dashboard http://127.0.0.1:${dashboardPort}/`);
  urls.push(`  admin token ${adminToken} (server API, and the dashboard's login)`);
  process.stdout.write(`chorus cluster ready: ${nodes} nodes on ${redisUrl}\n${urls.join('\n')}\n`);
} catch (err) {
  process.stderr.write(`chorus cluster: ${err.message}\n`);
  await stop(1);
}
