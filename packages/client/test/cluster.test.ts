// The SDK against real gateways over real Redis: node crashes, drains and token expiry lose nothing.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { connect, type ChorusClient, type StateChange } from '../src/node.js';
import type { MessageFrame } from '@chorus/protocol';
import { startCluster, startNode, sleep, until } from '@chorus/test-kit';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** An app that records what its handlers saw, as a real app would render it. */
const app = (client: ChorusClient, room: string) => {
  const seen: MessageFrame[] = [];
  const states: StateChange[] = [];
  client.room(room).on('message', (m) => seen.push(m));
  client.on('state', (s) => states.push(s));
  return { client, seen, states };
};

describe('the SDK on a 3-node cluster', () => {
  it('a node killed mid-stream: clients move to another node, see every message once in order, queued sends apply once', async () => {
    await using cluster = await startCluster({ bus: 'redis', env: { RATE_PER_SEC: '1000' } });
    const urls = cluster.nodes.map((n) => n.url);
    const room = 'sdk-crash';
    // Each client starts on a different node and fails over to the next url.
    const apps = Array.from({ length: 6 }, (_, i) =>
      app(
        connect(
          [...urls.slice(i % 3), ...urls.slice(0, i % 3)],
          { user: `u${i}` },
          { backoff: { baseMs: 50, maxMs: 500 } },
        ),
        room,
      ),
    );
    const publisher = connect(urls[0]!, { user: 'publisher' });
    try {
      await Promise.all([...apps.map((a) => a.client.ready()), publisher.ready()]);
      await Promise.all([...apps.map((a) => a.client.room(room).join()), publisher.room(room).join()]);
      const victims = apps.filter((a) => a.client.node === 'n2');
      expect(victims.length).toBe(2);
      let published = 0;
      const traffic = setInterval(() => {
        void publisher.room(room).send({ n: published++ });
      }, 10);
      await sleep(300);
      await cluster.nodes[1]!.kill('SIGKILL');
      // While the victims are away, their app keeps sending: the SDK queues with idempotency keys.
      const queued = victims.map((v, i) => v.client.room(room).send({ queuedBy: i }));
      await Promise.all(queued);
      await sleep(300);
      clearInterval(traffic);
      await until('traffic', () => published > 0, 1000);
      const latest = (await publisher.room(room).history({ limit: 1 }))[0]!.seq;
      for (const a of apps) {
        await until(
          `client ${a.client.user} to reach seq ${latest}`,
          () => (a.seen.at(-1)?.seq ?? 0) >= latest,
          10_000,
        );
        expect(a.seen.map((m) => m.seq)).toEqual(range(1, latest)); // exactly once, in order
      }
      for (const v of victims) {
        expect(v.client.node).not.toBe('n2');
        expect(v.states.map((s) => s.to)).toEqual(['connected', 'reconnecting', 'connected']);
      }
      const all = await publisher.room(room).history({ limit: 200 });
      for (let i = 0; i < victims.length; i++) {
        expect(all.filter((m) => JSON.stringify(m.body) === JSON.stringify({ queuedBy: i }))).toHaveLength(1);
      }
    } finally {
      for (const a of apps) a.client.close();
      publisher.close();
    }
  }, 60_000);

  it('a drained node: clients get reconnect + 1012, move on, and miss nothing', async () => {
    await using cluster = await startCluster({ bus: 'redis', env: { DRAIN_MS: '500' } });
    const urls = cluster.nodes.map((n) => n.url);
    const room = 'sdk-drain';
    const mover = app(connect([urls[2]!, urls[0]!], { user: 'mover' }, { backoff: { baseMs: 50, maxMs: 500 } }), room);
    const publisher = connect(urls[0]!, { user: 'pub' });
    try {
      await Promise.all([mover.client.ready(), publisher.ready()]);
      await mover.client.room(room).join();
      await publisher.room(room).join();
      let n = 0;
      const traffic = setInterval(() => void publisher.room(room).send(n++), 15);
      await sleep(200);
      cluster.nodes[2]!.child.kill('SIGTERM');
      await sleep(900);
      clearInterval(traffic);
      const latest = (await publisher.room(room).history({ limit: 1 }))[0]!.seq;
      await until('mover caught up', () => (mover.seen.at(-1)?.seq ?? 0) >= latest, 10_000);
      expect(mover.seen.map((m) => m.seq)).toEqual(range(1, latest));
      expect(mover.states.find((s) => s.to === 'reconnecting')).toMatchObject({ code: 1012 });
      expect(mover.client.node).toBe('n1');
      expect(await cluster.nodes[2]!.exited).toBe(0);
    } finally {
      mover.client.close();
      publisher.close();
    }
  }, 30_000);
});

describe('token expiry', () => {
  const secret = 'sdk-secret-sdk-secret-sdk-secret';
  const sign = (seconds: number) =>
    new SignJWT({ sub: 'expiring' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(new TextEncoder().encode(secret));

  it('refreshes the token in band before it expires: no 4001, no reconnect, the room keeps flowing', async () => {
    await using node = await startNode({ JWT_SECRET: secret });
    let fetched = 0;
    const client = connect(node.url, {
      getToken: () => {
        fetched++;
        return sign(3);
      },
    });
    const publisher = connect(node.url, { user: 'x', token: await sign(60) });
    try {
      const seen = app(client, 'refresh');
      await client.ready();
      await client.room('refresh').join();
      await sleep(5_000); // past the first token's exp (3 s)
      expect(seen.states.filter((s) => s.to !== 'connected' || s.from !== 'connecting')).toEqual([]);
      expect(fetched).toBeGreaterThanOrEqual(2);
      await publisher.ready();
      await publisher.room('refresh').join();
      await publisher.room('refresh').send('after refresh');
      await until('message after refresh', () => seen.seen.some((m) => m.body === 'after refresh'), 3_000);
    } finally {
      client.close();
      publisher.close();
    }
  }, 20_000);

  it('when a refresh is refused, 4001 asks the app for a fresh token and resumes the rooms', async () => {
    await using node = await startNode({ JWT_SECRET: secret });
    const tokens = [sign(2), Promise.resolve('not.a.token'), sign(60)];
    const client = connect(node.url, { getToken: () => tokens.shift() ?? sign(60) });
    try {
      const seen = app(client, 'refresh');
      await client.ready();
      await client.room('refresh').join();
      await until('expiry', () => seen.states.some((s) => s.code === 4001), 6_000);
      await until('reconnect', () => client.state === 'connected', 3_000);
      expect(tokens).toEqual([]);
      const publisher = connect(node.url, { token: await sign(60) });
      await publisher.ready();
      await publisher.room('refresh').join();
      await publisher.room('refresh').send('after refresh');
      await until('message after refresh', () => seen.seen.some((m) => m.body === 'after refresh'), 3_000);
      publisher.close();
    } finally {
      client.close();
    }
  }, 20_000);
});
