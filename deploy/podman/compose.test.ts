// deploy/compose.yaml, unchanged, run by podman-compose: HAProxy, three gateway containers, Redis and the
// dashboard, all from images made here; then the end-to-end check through the load balancer.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { endToEnd, podman } from './end-to-end.js';
import { makeImages, root, waitForHttp } from './support.js';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const composeSync = (...args: string[]) =>
  execFileSync('bash', [`${root}deploy/podman/compose.sh`, ...args], {
    env: { ...process.env, ADMIN_TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
  });

const compose = (...args: string[]) =>
  promisify(execFile)('bash', [`${root}deploy/podman/compose.sh`, ...args], { env: { ...process.env, ADMIN_TOKEN } });

beforeAll(() => {
  makeImages();
  composeSync('down', '-v', '-t', '1');
  composeSync('up', '-d');
}, 900_000);
afterAll(() => void composeSync('down', '-v', '-t', '1'), 120_000);

it('a message crosses gateways through HAProxy; a stopped gateway drains, a killed one is recovered from', async () => {
  await waitForHttp('http://127.0.0.1:8080/readyz', 60_000);
  const containers = new Map<string, string>();
  for (const node of ['gateway-1', 'gateway-2', 'gateway-3']) {
    const name = (
      await podman('ps', '--filter', `label=com.docker.compose.service=${node}`, '--format', '{{.Names}}')
    ).trim();
    expect(name, node).not.toBe('');
    containers.set(node, name);
  }
  const report = await endToEnd({
    urlsFor: () => ['ws://127.0.0.1:8080/ws'],
    containers,
    // podman-compose passes stop_grace_period (20 s) to `podman stop -t`; a bare podman stop would give 10 s
    stop: async (node) => compose('stop', node),
    dashboard: { url: 'http://127.0.0.1:8090', token: ADMIN_TOKEN },
  });
  console.log('compose end-to-end', JSON.stringify(report));
}, 240_000);
