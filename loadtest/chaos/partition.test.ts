// Fault 3: one gateway partitioned from Redis (a TCP proxy the test cuts). It turns unready and refuses sends
// with `unavailable`; nothing is half-delivered; when the link returns its members catch up with no silent gap.
import { expect, it } from 'vitest';
import { TestClient, sleep, startNode, startRedis, type Frame } from '@chorus/test-kit';
import { Partition, record } from './support.js';

it('a gateway cut off from Redis goes unready, refuses sends, and catches up when the link returns', async () => {
  await using redis = await startRedis();
  await using link = await Partition.to(redis.port);
  await using healthy = await startNode({ NODE_ID: 'p1', REDIS_URL: redis.url, RATE_PER_SEC: '1000' });
  await using isolated = await startNode({
    NODE_ID: 'p2',
    REDIS_URL: `redis://127.0.0.1:${link.port}`,
    BUS_TIMEOUT_MS: '800',
    RATE_PER_SEC: '1000',
  });
  const room = 'partition';
  await using sender = await TestClient.connect(healthy.url, { user: 'sender' });
  await using inside = await TestClient.connect(isolated.url, { user: 'inside' });
  await sender.ok({ type: 'join', room });
  await inside.ok({ type: 'join', room });
  let n = 0;
  const traffic = setInterval(() => sender.sendRaw(JSON.stringify({ type: 'send', room, body: n++ })), 20);
  await sleep(300);
  const cutAt = Date.now();
  link.cut();
  await sleep(1000);
  expect((await fetch(`${isolated.http}/readyz`)).status).toBe(503);
  expect((await fetch(`${healthy.http}/readyz`)).status).toBe(200);
  const refused = await inside.request({ type: 'send', room, body: 'from inside' });
  expect(refused).toMatchObject({ type: 'error', code: 'unavailable' });
  link.heal();
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${isolated.http}/readyz`)).status !== 200 && Date.now() < deadline) await sleep(100);
  const healedInMs = Date.now() - cutAt;
  await sleep(500);
  clearInterval(traffic);
  await sleep(500);
  const latest = ((await sender.ok({ type: 'history', room, limit: 1 })).messages as Frame[])[0]!.seq as number;
  // the member inside was either caught up from the stream, or closed with 1013 to rejoin: never a silent gap
  let seen = inside.messages(room).map((f) => f.seq as number);
  const closed = inside.ws.readyState !== 1;
  if (closed) {
    expect((await inside.closed).code).toBe(1013);
    await using back = await TestClient.connect(isolated.url, { user: 'inside' });
    await back.ok({ type: 'join', room, since: seen.at(-1) ?? 0 });
    await back.collect((f) => f.type === 'message' && (f.seq as number) === latest, 1, 5_000);
    seen = [...seen, ...back.messages(room).map((f) => f.seq as number)];
  } else {
    await inside.collect((f) => f.type === 'message' && (f.seq as number) === latest, 1, 5_000);
    seen = inside.messages(room).map((f) => f.seq as number);
  }
  expect(seen).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  expect(sender.messages(room).every((f) => f.body !== 'from inside')).toBe(true); // nothing half-sent
  record('partition', { healedInMs, messages: latest, memberWasClosed: closed, gaps: 0 });
}, 60_000);
