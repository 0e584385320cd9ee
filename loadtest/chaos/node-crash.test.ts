// Fault 1: SIGKILL one of 3 gateways under steady traffic. Every SDK app sees every room message exactly once,
// in seq order; its clients recover on another node; a user only on the dead node leaves presence < 15 s.
import { expect, it } from 'vitest';
import { connect, type ChorusClient } from '../../packages/client/src/node.js';
import type { MessageFrame } from '../../packages/protocol/src/index.js';
import { startCluster, TestClient, sleep } from '@chorus/test-kit';
import { percentile, record, scale } from './support.js';

const CLIENTS = scale(60, 300);
const ROOMS = 10;

it(`${CLIENTS} SDK clients in ${ROOMS} rooms survive a node crash with every message once, in order`, async () => {
  await using cluster = await startCluster({ bus: 'redis', env: { RATE_PER_SEC: '1000' } });
  const urls = cluster.nodes.map((n) => n.url);
  const apps: Array<{ client: ChorusClient; room: string; seen: MessageFrame[]; reconnectedAt?: number }> = [];
  for (let i = 0; i < CLIENTS; i++) {
    const ordered = [...urls.slice(i % 3), ...urls.slice(0, i % 3)]; // start on node i % 3, fail over to the next
    const client = connect(ordered, { user: `crash${i}` }, { backoff: { baseMs: 100, maxMs: 1000 } });
    const app = {
      client,
      room: `crash-room-${i % ROOMS}`,
      seen: [] as MessageFrame[],
      reconnectedAt: undefined as number | undefined,
    };
    client.room(app.room).on('message', (m) => app.seen.push(m));
    client.on('state', (s) => {
      if (s.to === 'connected' && s.from === 'reconnecting') app.reconnectedAt = Date.now();
    });
    apps.push(app);
  }
  const publishers = Array.from({ length: ROOMS }, (_, r) => connect(urls[0]!, { user: `crash-pub${r}` }));
  const ghost = await TestClient.connect(urls[1]!, { user: 'crash-ghost' }); // never comes back
  const watcher = await TestClient.connect(urls[0]!, { user: 'crash-watcher' });
  try {
    await Promise.all([...apps.map((a) => a.client.ready()), ...publishers.map((p) => p.ready())]);
    await Promise.all([
      ...apps.map((a) => a.client.room(a.room).join()),
      ...publishers.map((p, r) => p.room(`crash-room-${r}`).join()),
    ]);
    await ghost.ok({ type: 'join', room: 'crash-room-0' });
    await watcher.ok({ type: 'join', room: 'crash-room-0' });
    let n = 0;
    const traffic = setInterval(() => {
      for (const [r, p] of publishers.entries())
        p.room(`crash-room-${r}`)
          .send({ n: n++ })
          .catch(() => undefined);
    }, 50);
    await sleep(800);
    const victims = apps.filter((a) => a.client.node === 'n2');
    expect(victims.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    await cluster.nodes[1]!.kill('SIGKILL');
    const left = await watcher.next((f) => f.type === 'user_left' && f.user === 'crash-ghost', 15_000);
    const presenceCleanupMs = Date.now() - killedAt;
    expect(left).toBeDefined();
    await sleep(500);
    clearInterval(traffic);
    await sleep(500);
    const latest = new Map<string, number>();
    for (let r = 0; r < ROOMS; r++)
      latest.set(`crash-room-${r}`, (await publishers[r]!.room(`crash-room-${r}`).history({ limit: 1 }))[0]!.seq);
    const deadline = Date.now() + 15_000;
    while (apps.some((a) => (a.seen.at(-1)?.seq ?? 0) < latest.get(a.room)!) && Date.now() < deadline) await sleep(100);
    for (const a of apps) {
      const seqs = a.seen.map((m) => m.seq);
      expect(seqs, a.client.user).toEqual(Array.from({ length: latest.get(a.room)! }, (_, i) => i + 1));
    }
    const recovery = victims.map((v) => v.reconnectedAt! - killedAt);
    expect(recovery.every((ms) => Number.isFinite(ms))).toBe(true);
    record('node-crash', {
      clients: CLIENTS,
      rooms: ROOMS,
      victims: victims.length,
      messages: [...latest.values()].reduce((a, b) => a + b, 0),
      deliveries: apps.reduce((t, a) => t + a.seen.length, 0),
      lostOrDuplicated: 0,
      recoveryP50Ms: percentile(recovery, 0.5),
      recoveryP99Ms: percentile(recovery, 0.99),
      presenceCleanupMs,
    });
  } finally {
    for (const a of apps) a.client.close();
    for (const p of publishers) p.close();
    ghost.close();
    watcher.close();
  }
}, 90_000);
