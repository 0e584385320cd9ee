// Fault 5: a rolling restart of all 3 gateways, one by one, under traffic: SDK clients lose nothing and see
// nothing twice. Each node is replaced by a fresh one on a new port that the clients' url lists already name.
import { expect, it } from 'vitest';
import { connect, type ChorusClient } from '../../packages/client/src/node.js';
import type { MessageFrame } from '../../packages/protocol/src/index.js';
import { sleep, freePort, startNode, startRedis, type NodeProcess } from '@chorus/test-kit';
import { record, scale } from './support.js';

const CLIENTS = scale(30, 150);

it(`a rolling restart of 3 gateways loses nothing for ${CLIENTS} SDK clients`, async () => {
  await using redis = await startRedis();
  const env = (id: string, port: number) => ({
    NODE_ID: id,
    REDIS_URL: redis.url,
    PORT: String(port),
    DRAIN_MS: '800',
    RATE_PER_SEC: '1000',
  });
  const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const urls = ports.map((p) => `ws://127.0.0.1:${p}/ws`);
  let live: NodeProcess[] = await Promise.all([0, 1, 2].map((i) => startNode(env(`old${i}`, ports[i]!))));
  const room = 'rolling';
  const apps: Array<{ client: ChorusClient; seen: MessageFrame[] }> = [];
  for (let i = 0; i < CLIENTS; i++) {
    const client = connect(
      [...urls.slice(i % 3), ...urls.slice(0, i % 3)],
      { user: `r${i}` },
      { backoff: { baseMs: 50, maxMs: 400 } },
    );
    const app = { client, seen: [] as MessageFrame[] };
    client.room(room).on('message', (m) => app.seen.push(m));
    apps.push(app);
  }
  const publisher = connect(urls, { user: 'rolling-pub' }, { backoff: { baseMs: 50, maxMs: 400 } });
  try {
    await Promise.all([...apps.map((a) => a.client.ready()), publisher.ready()]);
    await Promise.all([...apps.map((a) => a.client.room(room).join()), publisher.room(room).join()]);
    let n = 0;
    const acked: number[] = [];
    const traffic = setInterval(() => {
      publisher
        .room(room)
        .send({ n: n++ })
        .then(
          (a) => acked.push(a.seq),
          () => undefined,
        );
    }, 20);
    const moves: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(400);
      const fresh = await startNode(env(`new${i}`, ports[3 + i]!));
      const old = live[i]!;
      const t0 = Date.now();
      old.child.kill('SIGTERM');
      expect(await old.exited).toBe(0);
      moves.push(Date.now() - t0);
      live = live.map((node, j) => (j === i ? fresh : node));
    }
    await sleep(600);
    clearInterval(traffic);
    await sleep(800);
    const latest = (await publisher.room(room).history({ limit: 1 }))[0]!.seq;
    const deadline = Date.now() + 10_000;
    while (apps.some((a) => (a.seen.at(-1)?.seq ?? 0) < latest) && Date.now() < deadline) await sleep(100);
    for (const a of apps)
      expect(
        a.seen.map((m) => m.seq),
        a.client.user,
      ).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    expect(apps.every((a) => a.client.node?.startsWith('new'))).toBe(true);
    record('rolling-drain', {
      clients: CLIENTS,
      messages: latest,
      acked: acked.length,
      drainMs: moves,
      lostOrDuplicated: 0,
    });
  } finally {
    for (const a of apps) a.client.close();
    publisher.close();
    await Promise.all(live.map((node) => node.kill()));
  }
}, 90_000);
