// Abuse: fuzzed frames from many clients at high rate, oversize and binary frames, invalid UTF-8, deep JSON,
// prototype-pollution keys, slow-loris upgrades, handshakes that never finish, rapid connect/close cycles.
// The node stays up, its memory stays bounded, and a legitimate client's p99 stays within 2× of baseline.
// The attack runs in its own process (abuser.mjs): sharing the probe's event loop, it would measure itself.
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { TestClient, sleep } from '../../services/gateway/test/support/client.js';
import { startNode, startScript } from '../../services/gateway/test/support/processes.js';
import { percentile, record, scale } from './support.js';

const SECONDS = scale(4, 30);
const ATTACKERS = scale(10, 50);
const CYCLES = scale(400, 5000);
const ABUSER = fileURLToPath(new URL('./abuser.mjs', import.meta.url));

const rss = async (http: string) =>
  Number(/^chorus_process_resident_memory_bytes (\d+)/m.exec(await (await fetch(`${http}/metrics`)).text())![1]);

/** Pings every 10 ms for `ms`; the p99 round trip. */
const pingP99 = async (client: TestClient, ms: number) => {
  const rtts: number[] = [];
  for (const end = Date.now() + ms; Date.now() < end;) {
    const t0 = performance.now();
    await client.ok({ type: 'ping' });
    rtts.push(performance.now() - t0);
    await sleep(10);
  }
  return percentile(rtts, 0.99);
};

it('hostile clients do not take a node down, grow its memory without bound, or slow a polite client', async () => {
  await using node = await startNode({ RATE_PER_SEC: '200', MAX_CONNECTIONS_PER_USER: '100000' });
  await using polite = await TestClient.connect(node.url, { user: 'polite' });
  await polite.ok({ type: 'join', room: 'calm' });
  const baseline = await pingP99(polite, 2000);
  const rssBefore = await rss(node.http);
  const env = { URL: node.url, PORT: String(node.port), ATTACKERS: String(ATTACKERS), SECONDS: String(SECONDS) };
  await using abuser = startScript(ABUSER, { ...env, CYCLES: String(CYCLES) });
  await abuser.line((l) => l === 'attacking');
  await sleep(500);
  const underAttack = await pingP99(polite, SECONDS * 1000 - 1000);
  const attack = JSON.parse(await abuser.line((l) => l.startsWith('{'))) as {
    connections: number;
    refusedUpgrades: number;
    frames: number;
    cycles: number;
    closeCodes: Record<string, number>;
  };
  await sleep(1500);
  const rssAfter = await rss(node.http);
  const healthy = (await fetch(`${node.http}/healthz`)).status === 200;
  record('abuse', {
    attackers: ATTACKERS,
    seconds: SECONDS,
    hostileConnections: attack.connections,
    refusedUpgrades: attack.refusedUpgrades,
    hostileFrames: attack.frames,
    cycles: attack.cycles,
    closes1008: attack.closeCodes['1008'] ?? 0,
    closes1009: attack.closeCodes['1009'] ?? 0,
    baselineP99Ms: +baseline.toFixed(2),
    underAttackP99Ms: +underAttack.toFixed(2),
    healthy,
    rssGrowthMB: +((rssAfter - rssBefore) / 2 ** 20).toFixed(1),
  });
  expect(healthy).toBe(true);
  expect(await polite.ok({ type: 'echo', body: 'still here' })).toMatchObject({ body: 'still here' });
  expect(node.child.exitCode).toBeNull();
  expect(attack.connections).toBeGreaterThan(ATTACKERS); // the attack really ran, round after round
  expect(attack.closeCodes['1009']).toBeGreaterThan(0); // oversize frames closed as the protocol says
  expect(attack.closeCodes['1008']).toBeGreaterThan(0); // and the 20th bad frame within a minute
  expect(rssAfter - rssBefore).toBeLessThan(150 * 2 ** 20); // bounded: no per-attack leak
  // a few-ms p99 is noise on a shared machine: allow 2× or +10 ms, whichever is larger
  expect(underAttack).toBeLessThanOrEqual(Math.max(baseline * 2, baseline + 10));
}, 120_000);
