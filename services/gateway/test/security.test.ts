// The audit's holes (issue 16, PROTOCOL.md §10.8), each proven against running nodes: one describe per finding.
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, sleep, startNode, startRedis } from '@chorus/test-kit';

const secret = 'security-test-secret-long-enough-for-hs256';
const now = () => Math.floor(Date.now() / 1000);
/** `exp: null` signs a token without exp. */
const sign = (claims: Record<string, unknown>, exp: number | null = now() + 60) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt.sign(new TextEncoder().encode(secret));
};
const refusal = (url: string, options: Parameters<typeof TestClient.connect>[1]) =>
  TestClient.connect(url, options).then(
    (c) => {
      c.close();
      return 0;
    },
    (e: { status: number }) => e.status,
  );
/** Calls of one command that Redis has run, scripts included. */
const commandCalls = async (redis: Redis, command: string): Promise<number> => {
  const info = await redis.info('commandstats');
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return match ? Number(match[1]) : 0;
};

describe('1: tokens valid for longer than setTimeout can wait', () => {
  it('a token valid for 30 days or a year is not closed at once', async () => {
    await using node = await startNode({ JWT_SECRET: secret });
    for (const days of [25, 30, 365]) {
      await using c = await TestClient.connect(node.url, {
        token: await sign({ sub: `long${days}` }, now() + days * 86_400),
      });
      await sleep(300);
      expect((await c.request({ type: 'ping' })).type, `${days} days`).toBe('pong');
    }
    expect(node.logs.join('\n')).not.toMatch(/TimeoutOverflowWarning/);
  });
});

describe('2: the cost of one frame is bounded', () => {
  it('a join with a wrong epoch, or into a room already joined, reads no history', async () => {
    await using redis = await startRedis();
    await using node = await startNode({ REDIS_URL: redis.url, REDIS_PREFIX: 'cost' });
    const probe = new Redis(redis.url);
    try {
      await using c = await TestClient.connect(node.url, { user: 'reader' });
      const first = await c.ok({ type: 'join', room: 'big' });
      for (let i = 0; i < 20; i++) await c.ok({ type: 'send', room: 'big', body: i });
      await using d = await TestClient.connect(node.url, { user: 'reader2' }); // (its inbox read is an XRANGE)
      await d.request({ type: 'ping' }); // answered after the inbox read: a connection's frames wait behind it
      const before = await commandCalls(probe, 'xrange');
      const wrongEpoch = await c.ok({ type: 'join', room: 'big', since: 0, epoch: 'not-the-epoch' });
      expect(wrongEpoch).toMatchObject({ seq: 20, recovered: false });
      const again = await c.ok({ type: 'join', room: 'big', since: 0, epoch: first.epoch });
      expect(again).toMatchObject({ seq: 20 });
      expect(await commandCalls(probe, 'xrange')).toBe(before);
      // and a join with since on a fresh connection does read, and replays
      expect(await d.ok({ type: 'join', room: 'big', since: 10, epoch: first.epoch })).toMatchObject({
        recovered: true,
      });
      expect((await d.collect((f) => f.type === 'message', 10)).map((f) => f.seq)).toEqual([
        11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
      ]);
      expect(await commandCalls(probe, 'xrange')).toBe(before + 1);
    } finally {
      probe.disconnect();
    }
  });

  it('frames that read much are charged more against the rate limit', async () => {
    await using node = await startNode({ RATE_PER_SEC: '20' });
    await using writer = await TestClient.connect(node.url, { user: 'writer' });
    const joined = await writer.ok({ type: 'join', room: 'heavy' });
    const body = 'x'.repeat(15_000);
    for (let i = 0; i < 30; i++) {
      writer.sendRaw(JSON.stringify({ type: 'send', room: 'heavy', body }));
      if (i % 8 === 7) await sleep(450); // within the writer's own rate
    }
    await writer.collect((f) => f.type === 'message', 30, 10_000);
    await using reader = await TestClient.connect(node.url, { user: 'reader' });
    await reader.ok({ type: 'join', room: 'heavy', since: 0, epoch: joined.epoch });
    // ~450 KB replayed: the reader's budget is spent, its next frame is refused
    expect(await reader.request({ type: 'ping' })).toMatchObject({ type: 'error', code: 'rate_limited' });
    // a cheap frame on a fresh connection of another user is not
    await using other = await TestClient.connect(node.url, { user: 'other' });
    expect((await other.request({ type: 'ping' })).type).toBe('pong');
  });
});

describe('3: one sender cannot fill other users inboxes', () => {
  it('past DM_BYTES_PER_MIN a dm gets rate_limited', async () => {
    await using node = await startNode({ DM_BYTES_PER_MIN: '10000', MAX_BODY_BYTES: '4096' });
    await using mallory = await TestClient.connect(node.url, { user: 'mallory' });
    const body = 'y'.repeat(4_000);
    expect((await mallory.request({ type: 'dm', to: 'v1', body })).type).toBe('ack');
    expect((await mallory.request({ type: 'dm', to: 'v2', body })).type).toBe('ack');
    expect(await mallory.request({ type: 'dm', to: 'v3', body })).toMatchObject({
      type: 'error',
      code: 'rate_limited',
    });
    await using other = await TestClient.connect(node.url, { user: 'honest' });
    expect((await other.request({ type: 'dm', to: 'v3', body })).type).toBe('ack');
  });

  it('the inbox of a user who never connected expires after INBOX_UNSEEN_TTL_S; a known user keeps theirs', async () => {
    await using cluster = await startCluster({ bus: 'redis', nodes: 1, env: { INBOX_UNSEEN_TTL_S: '1' } });
    {
      await using once = await TestClient.connect(cluster.url(), { user: 'known' });
      await once.ok({ type: 'ping' }); // answered after the inbox was opened: the user is seen
    }
    await using sender = await TestClient.connect(cluster.url(), { user: 'sender' });
    await sender.ok({ type: 'dm', to: 'ghost', body: 'to nobody' });
    await sender.ok({ type: 'dm', to: 'known', body: 'to someone' });
    await sleep(1_600);
    await using ghost = await TestClient.connect(cluster.url(), { user: 'ghost' });
    await using known = await TestClient.connect(cluster.url(), { user: 'known' });
    expect(await known.next((f) => f.type === 'dm')).toMatchObject({ body: 'to someone' });
    await ghost.ok({ type: 'ping' });
    expect(ghost.frames.filter((f) => f.type === 'dm')).toEqual([]);
  });
});

describe('4: aud, iss and exp', () => {
  it('exp is required; JWT_AUDIENCE and JWT_ISSUER must match when set', async () => {
    await using node = await startNode({ JWT_SECRET: secret, JWT_AUDIENCE: 'chat', JWT_ISSUER: 'https://id.example' });
    const good = { sub: 'ok', aud: 'chat', iss: 'https://id.example' };
    await using c = await TestClient.connect(node.url, { token: await sign(good) });
    expect(c.frames[0]).toMatchObject({ type: 'welcome', user: 'ok' });
    expect(await refusal(node.url, { token: await sign(good, null) })).toBe(401);
    expect(await refusal(node.url, { token: await sign({ ...good, aud: 'billing' }) })).toBe(401);
    expect(await refusal(node.url, { token: await sign({ ...good, iss: 'https://evil.example' }) })).toBe(401);
    expect(await refusal(node.url, { token: await sign({ sub: 'ok' }) })).toBe(401);
  });
  it('without JWT_AUDIENCE a token still needs exp', async () => {
    await using node = await startNode({ JWT_SECRET: secret });
    expect(await refusal(node.url, { token: await sign({ sub: 'forever' }, null) })).toBe(401);
  });
});

describe('5: a node forgets rooms it no longer has members in', () => {
  it("the node's room set in Redis shrinks when its last local member leaves", async () => {
    await using cluster = await startCluster({ bus: 'redis', nodes: 1 });
    const probe = new Redis(cluster.redis!.url);
    try {
      await using c = await TestClient.connect(cluster.url(), { user: 'wanderer' });
      await using d = await TestClient.connect(cluster.url(), { user: 'stayer' });
      await d.ok({ type: 'join', room: 'kept' });
      for (let i = 0; i < 30; i++) {
        await c.ok({ type: 'join', room: `room${i}` });
        await c.ok({ type: 'leave', room: `room${i}` });
      }
      await c.ok({ type: 'join', room: 'closing' });
      c.close();
      await c.closed;
      await sleep(200);
      const key = `${cluster.prefix}:{nodes}:rooms:n1`;
      expect((await probe.smembers(key)).sort()).toEqual(['kept']);
    } finally {
      probe.disconnect();
    }
  });
});

describe.each(['memory', 'redis'] as const)('6: idempotency keys cannot collide across users (%s)', (bus) => {
  it('user a with key b:c and user a:b with key c are two requests', async () => {
    await using cluster = await startCluster({ bus, nodes: 1 });
    await using a = await TestClient.connect(cluster.url(), { user: 'a' });
    await using ab = await TestClient.connect(cluster.url(), { user: 'a:b' });
    await a.ok({ type: 'join', room: 'keys' });
    await ab.ok({ type: 'join', room: 'keys' });
    const first = await a.ok({ type: 'send', room: 'keys', body: 'from a', key: 'b:c' });
    const second = await ab.ok({ type: 'send', room: 'keys', body: 'from a:b', key: 'c' });
    expect(second.msg).not.toBe(first.msg);
    expect(second.seq).toBe((first.seq as number) + 1);
    const dm1 = await a.ok({ type: 'dm', to: 'z', body: 1, key: 'x:y' });
    const dm2 = await ab.ok({ type: 'dm', to: 'z', body: 2, key: 'y' });
    expect(dm2.msg).not.toBe(dm1.msg);
  });
});

describe('9: history before 0', () => {
  it.each(['memory', 'redis'] as const)('is an empty page, not a leaked script error (%s)', async (bus) => {
    await using cluster = await startCluster({ bus, nodes: 1 });
    await using c = await TestClient.connect(cluster.url(), { user: 'h' });
    await c.ok({ type: 'join', room: 'h' });
    await c.ok({ type: 'send', room: 'h', body: 1 });
    for (const before of [0, 1]) {
      expect(await c.request({ type: 'history', room: 'h', before })).toMatchObject({ type: 'history', messages: [] });
    }
    expect(await c.request({ type: 'history', room: 'h', before: 2 })).toMatchObject({
      messages: [expect.objectContaining({ seq: 1 })],
    });
    const metrics = await (await fetch(`${cluster.http()}/metrics`)).text();
    expect(metrics).not.toMatch(/chorus_errors_total\{code="unavailable"\} [1-9]/);
  });
});

describe('refused upgrades and unsafe deployments', () => {
  it('every refused upgrade is logged with its reason and address, never the token', async () => {
    await using node = await startNode({ JWT_SECRET: secret, ALLOWED_ORIGINS: 'https://ok.example' });
    const token = await sign({ sub: 'x' }, now() - 100);
    expect(await refusal(node.url, { token })).toBe(401);
    expect(await refusal(node.url, { token, headers: { origin: 'https://evil.example' } })).toBe(403);
    await sleep(100);
    const refused = node.logs.filter((l) => l.includes('upgrade refused'));
    expect(refused).toHaveLength(2);
    for (const line of refused)
      expect(JSON.parse(line)).toMatchObject({ address: expect.stringMatching(/127\.0\.0\.1/) });
    expect(refused.map((l) => JSON.parse(l).status as number).sort()).toEqual([401, 403]);
    expect(node.logs.join('\n')).not.toContain(token);
    expect(node.logs.join('\n')).not.toContain(token.split('.')[2]!);
  });

  it('refuses to start with a well-known admin token', async () => {
    for (const ADMIN_TOKEN of ['change-me', 'changeme', 'admin']) {
      const started = await startNode({ ADMIN_TOKEN }).then(
        (n) => n.kill().then(() => 'started'),
        (err: Error) => err.message,
      );
      expect(started).toMatch(/exited with 78/);
      expect(started).toMatch(/ADMIN_TOKEN/);
    }
  });

  it('says loudly when it runs dev auth on a Redis bus', async () => {
    await using redis = await startRedis();
    await using node = await startNode({ REDIS_URL: redis.url });
    const warning = node.logs.find((l) => l.includes('dev auth'));
    expect(warning && JSON.parse(warning).level).toBeGreaterThanOrEqual(40);
  });
});
