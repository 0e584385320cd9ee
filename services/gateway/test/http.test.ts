// HTTP on each gateway (PROTOCOL.md §7): health, readiness, stats, admin publish, the test page, the drain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNode, TestClient, type NodeProcess } from '@chorus/test-kit';

const ADMIN = 'admin-token-for-tests';

describe('HTTP routes', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ ADMIN_TOKEN: ADMIN, NODE_ID: 'http-node' });
  });
  afterAll(() => node?.kill());
  const publish = (body: unknown, token: string | null = ADMIN) =>
    fetch(`${node.http}/api/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('healthz and readyz answer 200 on a live, connected node', async () => {
    expect((await fetch(`${node.http}/healthz`)).status).toBe(200);
    expect((await fetch(`${node.http}/readyz`)).status).toBe(200);
  });

  it('stats gives this node, its counts and rates', async () => {
    await using a = await TestClient.connect(node.url, { user: 'a' });
    await using b = await TestClient.connect(node.url, { user: 'a' });
    await a.ok({ type: 'join', room: 'stats-room' });
    const stats = (await (await fetch(`${node.http}/stats`)).json()) as Record<string, number | string>;
    expect(stats).toMatchObject({ node: 'http-node', connections: 2, users: 1, rooms: 1 });
    expect(typeof stats.inPerSec).toBe('number');
    expect(typeof stats.outPerSec).toBe('number');
    expect(stats.startedAt).toBeLessThanOrEqual(Date.now());
    expect(b.frames[0]!.type).toBe('welcome');
  });

  it('publish needs the admin token; messages without from come from "system"', async () => {
    await using c = await TestClient.connect(node.url, { user: 'reader' });
    await c.ok({ type: 'join', room: 'news' });
    expect((await publish({ room: 'news', body: 1 }, null)).status).toBe(401);
    expect((await publish({ room: 'news', body: 1 }, 'wrong')).status).toBe(401);
    const res = await publish({ room: 'news', body: { headline: 'hi' } });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { seq: number; msg: string };
    expect(reply).toEqual({ seq: 1, msg: expect.stringMatching(/^[A-Za-z0-9_-]{21}$/) });
    const message = await c.next((f) => f.type === 'message');
    expect(message).toMatchObject({
      room: 'news',
      seq: 1,
      msg: reply.msg,
      from: 'system',
      name: 'system',
      body: { headline: 'hi' },
    });
    await publish({ room: 'news', body: 2, from: 'editor' });
    expect(await c.next((f) => f.type === 'message' && f.seq === 2)).toMatchObject({ from: 'editor', name: 'editor' });
  });

  it('publish answers 400 with the reason on bad input', async () => {
    for (const [body, reason] of [
      ['{nope', /JSON/],
      [{ body: 1 }, /room/],
      [{ room: 'bad room', body: 1 }, /room/],
      [{ room: 'ok' }, /body/],
      [{ room: 'ok', body: 1, from: '-x' }, /from/],
      [{ room: 'ok', body: 'x'.repeat(20_000) }, /maxBodyBytes/],
    ] as const) {
      const res = await publish(body);
      expect(res.status).toBe(400);
      const { error, message } = (await res.json()) as { error: string; message: string };
      expect(`${error}: ${message}`).toMatch(reason);
    }
  });

  it('serves the test page at /, the SDK bundle it imports, and 404 elsewhere', async () => {
    const sdk = await fetch(`${node.http}/sdk/chorus-client.js`);
    expect(sdk.status).toBe(200);
    expect(sdk.headers.get('content-type')).toMatch(/javascript/);
    expect(await sdk.text()).toMatch(/export\s*{/);
    const page = await fetch(`${node.http}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/chorus/);
    expect((await fetch(`${node.http}/nope`)).status).toBe(404);
  });
});

describe('drain on SIGTERM', () => {
  it('turns readyz 503, sends reconnect then 1012 to every client within DRAIN_MS, and exits', async () => {
    const node = await startNode({ DRAIN_MS: '1500' });
    const clients = await Promise.all(
      Array.from({ length: 5 }, (_, i) => TestClient.connect(node.url, { user: `d${i}` })),
    );
    const started = Date.now();
    node.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${node.http}/readyz`)).status).toBe(503);
    const closes = await Promise.all(clients.map((c) => c.closed));
    const spread = Date.now() - started;
    for (const [i, c] of clients.entries()) {
      expect(closes[i]!.code).toBe(1012);
      expect(c.frames.at(-1)).toEqual({ type: 'reconnect', reason: 'draining' });
    }
    expect(spread).toBeLessThan(3_000);
    expect(await node.exited).toBe(0);
  });
});

describe('listening', () => {
  it('a second node on a port already taken refuses to start, instead of sharing it', async () => {
    // uSockets listens with SO_REUSEPORT unless told otherwise: two processes on one port would split its
    // connections between them, silently, and each client would reach one or the other.
    const port = String(await freePort());
    await using first = await startNode({ NODE_ID: 'first', PORT: port });
    const second = await startNode({ NODE_ID: 'second', PORT: port }).then(
      (node) => node,
      (err: unknown) => String(err),
    );
    if (typeof second !== 'string') await second.kill();
    expect(second).toMatch(/cannot listen on 127\.0\.0\.1:\d+/);
    for (let i = 0; i < 10; i++) {
      await using client = await TestClient.connect(first.url, { user: `still-first-${i}` });
      expect(client.frames[0]).toMatchObject({ node: 'first' });
    }
  });
});
