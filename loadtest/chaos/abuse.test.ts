// Abuse: fuzzed frames from many clients at high rate, oversize and binary frames, invalid UTF-8, deep JSON,
// prototype-pollution keys, slow-loris upgrades, handshakes that never finish, rapid connect/close cycles.
// The node stays up, its memory stays bounded, and a legitimate client's p99 stays within 2× of baseline.
// The attack runs in its own process (abuser.mjs): sharing the probe's event loop, it would measure itself.
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { TestClient, sleep, startNode, startScript, type NodeProcess } from '@chorus/test-kit';
import { percentile, record, scale } from './support.js';

const SECONDS = scale(4, 30);
const ATTACKERS = scale(10, 50);
const CYCLES = scale(400, 5000);
const CI_SLACK_MS = scale(5, 0);
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

interface AttackSummary {
  connections: number;
  refusedUpgrades: number;
  frames: number;
  cycles: number;
  closeCodes: Record<string, number>;
}

/** Runs the attack against `target` for SECONDS while `probe` pings; the probe's p99 and the attack's summary. */
const attackWhileProbing = async (target: NodeProcess, probe: TestClient) => {
  await using abuser = startScript(ABUSER, {
    URL: target.url,
    PORT: String(target.port),
    ATTACKERS: String(ATTACKERS),
    SECONDS: String(SECONDS),
    CYCLES: String(CYCLES),
  });
  await abuser.line((l) => l === 'attacking');
  await sleep(500);
  const p99 = await pingP99(probe, SECONDS * 1000 - 1000);
  const attack = JSON.parse(await abuser.line((l) => l.startsWith('{'))) as AttackSummary;
  return { p99, attack };
};

// Two bounds. Against the quiet node: 2×, or +10 ms, whichever is larger (a sub-ms p99 is noise here). And, since
// attacker and node share this machine's two cores, against a control run: the same attack aimed at a decoy node
// on the same machine while the polite client pings its own — what the machine's load alone costs the probe.
// Aimed at the polite client's node instead, the p99 must stay within 2× of that control.
// Latency comparisons on a shared 2-core machine: one retry when the noise lands on the wrong side of the bound.
it(
  'hostile clients do not take a node down, grow its memory without bound, or slow a polite client',
  { retry: 1, timeout: 150_000 },
  async () => {
    const env = { RATE_PER_SEC: '200', MAX_CONNECTIONS_PER_USER: '100000' };
    await using node = await startNode(env);
    await using decoy = await startNode(env);
    await using polite = await TestClient.connect(node.url, { user: 'polite' });
    await polite.ok({ type: 'join', room: 'calm' });
    const quiet = await pingP99(polite, 2000);
    const control = await attackWhileProbing(decoy, polite);
    const rssBefore = await rss(node.http);
    const { p99: underAttack, attack } = await attackWhileProbing(node, polite);
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
      quietP99Ms: +quiet.toFixed(2),
      controlP99Ms: +control.p99.toFixed(2),
      underAttackP99Ms: +underAttack.toFixed(2),
      healthy,
      rssGrowthMB: +((rssAfter - rssBefore) / 2 ** 20).toFixed(1),
    });
    expect(healthy).toBe(true);
    expect(await polite.ok({ type: 'echo', body: 'still here' })).toMatchObject({ body: 'still here' });
    expect(node.child.exitCode).toBeNull();
    expect(attack.connections).toBeGreaterThan(ATTACKERS); // the attack really ran, round after round
    expect(control.attack.frames).toBeGreaterThan(attack.frames / 3); // the control was a comparable load
    expect(attack.closeCodes['1009']).toBeGreaterThan(0); // oversize frames closed as the protocol says
    expect(attack.closeCodes['1008']).toBeGreaterThan(0); // and the 20th bad frame within a minute
    expect(rssAfter - rssBefore).toBeLessThan(150 * 2 ** 20); // bounded: no per-attack leak
    expect(underAttack).toBeLessThanOrEqual(Math.max(quiet * 2, quiet + 10));
    // In CI the other test worker comes and goes between the two runs: a few ms of slack there, none at full scale.
    expect(underAttack).toBeLessThanOrEqual(Math.max(2 * control.p99, control.p99 + CI_SLACK_MS));
  },
);
