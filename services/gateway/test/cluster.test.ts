// Cluster faults and topology over real Redis: subscription refcounts, SIGKILL of a node, Redis restarts, auth.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, sleep, startNode, startRedis, startSentinelSet, type Frame } from '@chorus/test-kit';

const seqsOf = (frames: Frame[]) => frames.map((f) => f.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('cluster topology', () => {
  it('a node subscribes to a room or user channel only while it has a local member or connection', async () => {
    await using cluster = await startCluster({ bus: 'redis' });
    const redis = new Redis(cluster.redis!.url);
    try {
      const prefix = await (async () => {
        const channels = (await redis.pubsub('CHANNELS', '*')) as string[];
        return channels[0]?.split(':{')[0];
      })();
      expect(prefix).toBeUndefined(); // nobody connected: no subscriptions at all
      const subs = async (channel: string) => {
        const all = (await redis.pubsub('CHANNELS', `*${channel}`)) as string[];
        if (all.length === 0) return 0;
        const [, count] = (await redis.pubsub('NUMSUB', all[0]!)) as [string, number];
        return Number(count);
      };
      const a = await TestClient.connect(cluster.url(0), { user: 'sub-a' });
      expect(await subs('{u:sub-a}')).toBe(1);
      await a.ok({ type: 'join', room: 'refcount' });
      expect(await subs('{r:refcount}')).toBe(1);
      const b = await TestClient.connect(cluster.url(1), { user: 'sub-b' });
      const b2 = await TestClient.connect(cluster.url(1), { user: 'sub-b' });
      await b.ok({ type: 'join', room: 'refcount' });
      await b2.ok({ type: 'join', room: 'refcount' });
      expect(await subs('{r:refcount}')).toBe(2); // per node, not per connection
      await b.ok({ type: 'leave', room: 'refcount' });
      expect(await subs('{r:refcount}')).toBe(2);
      await b2.ok({ type: 'leave', room: 'refcount' });
      await sleep(50);
      expect(await subs('{r:refcount}')).toBe(1);
      a.close();
      b.close();
      b2.close();
      await sleep(200);
      expect(await subs('{r:refcount}')).toBe(0);
      expect(await subs('{u:sub-a}')).toBe(0);
      expect(await subs('{u:sub-b}')).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('announces every node every 2 s, and forgets a node that stops', async () => {
    await using cluster = await startCluster({ bus: 'redis' });
    const redis = new Redis(cluster.redis!.url);
    try {
      await using c = await TestClient.connect(cluster.url(0), { user: 'counted' });
      await sleep(2_300);
      const keys = (await redis.keys('*:{nodes}:stats:*')).sort();
      expect(keys).toHaveLength(3);
      const stats = JSON.parse((await redis.get(keys[0]!))!) as Record<string, unknown>;
      expect(stats).toMatchObject({ node: 'n1', connections: 1, users: 1, rooms: 0, inPerSec: 0 });
      expect(c.frames[0]!.node).toBe('n1');
      const ttl = await redis.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(6_000);
      await cluster.nodes[2]!.kill('SIGKILL');
      const deadline = Date.now() + 8_000;
      while ((await redis.keys('*:{nodes}:stats:*')).length > 2 && Date.now() < deadline) await sleep(200);
      expect((await redis.keys('*:{nodes}:stats:*')).sort()).toEqual(keys.slice(0, 2));
    } finally {
      redis.disconnect();
    }
  });
});

describe('a node killed with SIGKILL', () => {
  it('its users leave presence within 15 s, and its clients recover on another node with every message once', async () => {
    await using cluster = await startCluster({ bus: 'redis' });
    const room = 'crash-room';
    const watcher = await TestClient.connect(cluster.url(0), { user: 'watcher' });
    const sender = await TestClient.connect(cluster.url(0), { user: 'sender' });
    const victim = await TestClient.connect(cluster.url(2), { user: 'victim' });
    const gone = await TestClient.connect(cluster.url(2), { user: 'gone' }); // never comes back
    await watcher.ok({ type: 'join', room });
    await sender.ok({ type: 'join', room });
    const joined = await victim.ok({ type: 'join', room });
    await gone.ok({ type: 'join', room });
    let sent = 0;
    const traffic = setInterval(() => sender.sendRaw(JSON.stringify({ type: 'send', room, body: sent++ })), 20);
    await sleep(300);
    const killedAt = Date.now();
    await cluster.nodes[2]!.kill('SIGKILL');
    await victim.closed;
    const seen = victim.messages(room);
    // The client reconnects to a surviving node and resumes from the last seq it saw.
    const back = await TestClient.connect(cluster.url(1), { user: 'victim' });
    const lastSeen = (seen.at(-1)?.seq as number | undefined) ?? 0;
    const ack = await back.ok({ type: 'join', room, since: lastSeen, epoch: joined.epoch });
    expect(ack.recovered).toBe(true);
    const left = await watcher.next((f) => f.type === 'user_left' && f.user === 'gone', 15_000);
    const cleanupMs = Date.now() - killedAt;
    expect(left).toEqual({ type: 'user_left', room, user: 'gone' });
    // victim came back before the cleanup, so it never left the room as a user: no user_left for it.
    expect(watcher.frames.filter((f) => f.type === 'user_left' && f.user === 'victim')).toHaveLength(0);
    expect(cleanupMs).toBeLessThan(15_000);
    clearInterval(traffic);
    const final = (await sender.ok({ type: 'history', room, limit: 1 })).messages as Frame[];
    const latest = final[0]!.seq as number;
    await back.collect((f) => f.type === 'message' && f.room === room && (f.seq as number) >= latest, 1, 5_000);
    const all = [...seqsOf(seen), ...seqsOf(back.messages(room))];
    expect(all).toEqual(range(1, latest)); // every message exactly once, in order, across the crash
    // The victim's reconnected session is in presence again; its dead connection is not.
    const users = (await watcher.ok({ type: 'presence', room })).users as Frame[];
    expect(users.find((u) => u.user === 'victim')).toMatchObject({ connections: 1 });
    expect(users.find((u) => u.user === 'gone')).toBeUndefined();
    for (const c of [watcher, sender, back]) c.close();
  }, 40_000);
});

describe('Redis restarted under traffic', () => {
  it('senders get unavailable while it is down, readyz says 503, sockets stay open; afterwards nothing acked is lost', async () => {
    await using redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const prefix = 'restart';
    const nodes = await Promise.all(
      [1, 2].map((i) =>
        startNode({ NODE_ID: `r${i}`, REDIS_URL: redis.url, REDIS_PREFIX: prefix, BUS_TIMEOUT_MS: '1000' }),
      ),
    );
    try {
      const room = 'restart-room';
      const sender = await TestClient.connect(nodes[0]!.url, { user: 'sender' });
      const member = await TestClient.connect(nodes[1]!.url, { user: 'member' });
      await sender.ok({ type: 'join', room });
      const joined = await member.ok({ type: 'join', room });
      const acked: number[] = [];
      const errors: string[] = [];
      let stop = false;
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          const reply = await sender.request({ type: 'send', room, body: i, key: `k${i}` }, 10_000);
          if (reply.type === 'ack') acked.push(reply.seq as number);
          else errors.push(reply.code as string);
          await sleep(10);
        }
      })();
      await sleep(300);
      await redis.kill('SIGTERM');
      await sleep(500);
      expect((await fetch(`${nodes[0]!.http}/readyz`)).status).toBe(503);
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set(errors)).toEqual(new Set(['unavailable']));
      expect(sender.ws.readyState).toBe(1); // connections stay open
      await redis.restart();
      const deadline = Date.now() + 10_000;
      // each node reconnects on its own backoff: wait for both
      const ready = async () => (await Promise.all(nodes.map((n) => fetch(`${n.http}/readyz`)))).every((r) => r.ok);
      while (!(await ready()) && Date.now() < deadline) await sleep(100);
      expect(await ready()).toBe(true);
      const before = acked.length;
      while (acked.length < before + 10 && Date.now() < deadline) await sleep(50);
      stop = true;
      await loop;
      expect(acked.length).toBeGreaterThan(before);
      const latest = Math.max(...acked);
      // A member connected through the outage sees a gap-free sequence, or was closed with 1013 to rejoin.
      const got = seqsOf(member.messages(room));
      expect(got).toEqual(range(1, got.length));
      let resumed = member;
      if (member.ws.readyState !== 1) {
        expect((await member.closed).code).toBe(1013);
        resumed = await TestClient.connect(nodes[1]!.url, { user: 'member' });
        await resumed.ok({ type: 'join', room, since: got.length, epoch: joined.epoch });
      }
      await resumed.collect((f) => f.type === 'message' && (f.seq as number) === latest, 1, 5_000);
      const everything = [...new Set([...got, ...seqsOf(resumed.messages(room))])].sort((a, b) => a - b);
      for (const seq of acked) expect(everything).toContain(seq);
      expect(everything).toEqual(range(1, latest));
      sender.close();
      resumed.close();
    } finally {
      await Promise.all(nodes.map((n) => n.kill()));
    }
  }, 60_000);
});

describe('Redis authentication', () => {
  it('connects with a password in REDIS_URL, and refuses to start with a wrong one', async () => {
    await using redis = await startRedis(['--requirepass', 's3cret pass']);
    const url = `redis://:${encodeURIComponent('s3cret pass')}@127.0.0.1:${redis.port}`;
    await using node = await startNode({ REDIS_URL: url });
    await using c = await TestClient.connect(node.url, { user: 'pw' });
    await c.ok({ type: 'join', room: 'pw' });
    expect(await c.ok({ type: 'send', room: 'pw', body: 1 })).toMatchObject({ seq: 1 });
    await expect(startNode({ REDIS_URL: `redis://:wrong@127.0.0.1:${redis.port}` })).rejects.toThrow(/exited/);
  });
});

describe('Redis Sentinel', () => {
  it('finds the primary through the sentinels, with the password from REDIS_URL', async () => {
    await using set = await startSentinelSet('chat', 'sentinel-data-password');
    const env = set.env;
    await using a = await startNode({ ...env, NODE_ID: 's1' });
    await using b = await startNode({ ...env, NODE_ID: 's2' });
    expect((await fetch(`${a.http}/readyz`)).status).toBe(200);
    await using alice = await TestClient.connect(a.url, { user: 'alice' });
    await using bob = await TestClient.connect(b.url, { user: 'bob' });
    await alice.ok({ type: 'join', room: 'sentinel' });
    await bob.ok({ type: 'join', room: 'sentinel' });
    await alice.ok({ type: 'send', room: 'sentinel', body: 'via the primary the sentinels named' });
    expect(await bob.next((f) => f.type === 'message')).toMatchObject({ body: 'via the primary the sentinels named' });
    // without the password the node cannot use the primary and says so at startup
    const refused = await startNode({ ...env, REDIS_URL: 'redis://:wrong@unused:6379', NODE_ID: 's3' }).then(
      (n) => n.kill().then(() => 'started'),
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/exited with 1/);
  });
});
