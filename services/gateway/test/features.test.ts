// Chat features of v1.1 (PROTOCOL.md §10.3–§10.5) on one node and on 3 nodes over Redis: signals, token refresh,
// and the server API, each with its bad input.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, sleep, type BusKind, type Cluster } from '@chorus/test-kit';

const ADMIN = 'features-admin-token-0123456789';
const env = {
  ADMIN_TOKEN: ADMIN,
  NAMESPACES: JSON.stringify({ quiet: { signals: false }, ann: { presence: 'count' } }),
};
const refused = (url: string, options: Parameters<typeof TestClient.connect>[1]) =>
  TestClient.connect(url, options).then(
    (c) => {
      c.close();
      return 101;
    },
    (e: { status: number }) => e.status,
  );

describe.each(['memory', 'redis'] as const)('signals (%s)', (bus: BusKind) => {
  it('reach every connection of a user on any node; ack online says whether anyone got it; never stored', async () => {
    await using c = await startCluster({ bus, env });
    await using alice = await TestClient.connect(c.url(0), { user: 'alice', name: 'Alice' });
    await using bob1 = await TestClient.connect(c.url(1), { user: 'bob' });
    await using bob2 = await TestClient.connect(c.url(2), { user: 'bob' });
    // answered after the connection's inbox was opened, and so after its node subscribed to bob's channel
    // (a connection still opening may miss a signal: nothing is replayed)
    for (const bob of [bob1, bob2]) await bob.ok({ type: 'ping' });
    expect(await alice.ok({ type: 'signal', to: 'bob', body: { call: 'dialing' } })).toMatchObject({ online: true });
    for (const bob of [bob1, bob2]) {
      const signal = await bob.next((f) => f.type === 'signal');
      expect(signal).toMatchObject({ from: 'alice', name: 'Alice', to: 'bob', body: { call: 'dialing' } });
      expect(typeof signal.ts).toBe('number');
    }
    // nobody to ring: "not connected", and nothing is kept for later
    expect(await alice.ok({ type: 'signal', to: 'carol', body: { call: 'dialing' } })).toMatchObject({ online: false });
    await using carol = await TestClient.connect(c.url(1), { user: 'carol' });
    await carol.ok({ type: 'ping' });
    expect(carol.frames.filter((f) => f.type === 'signal' || f.type === 'dm')).toEqual([]);
  });

  it('reach every member of a joined room but the sender; bad input gets a clear error', async () => {
    await using c = await startCluster({ bus, env });
    await using a = await TestClient.connect(c.url(0), { user: 'a' });
    await using a2 = await TestClient.connect(c.url(0), { user: 'a' });
    await using b = await TestClient.connect(c.url(1), { user: 'b' });
    for (const client of [a, a2, b]) await client.ok({ type: 'join', room: 'typing' });
    expect(await a.ok({ type: 'signal', room: 'typing', body: { typing: true } })).toMatchObject({ room: 'typing' });
    expect(await b.next((f) => f.type === 'signal')).toMatchObject({
      from: 'a',
      room: 'typing',
      body: { typing: true },
    });
    expect(await a2.next((f) => f.type === 'signal')).toMatchObject({ from: 'a', room: 'typing' }); // the user's other tab
    await sleep(100);
    expect(a.frames.filter((f) => f.type === 'signal')).toEqual([]); // not the sending connection
    expect(await b.ok({ type: 'history', room: 'typing' })).toMatchObject({ messages: [] }); // never stored
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'signal', room: 'elsewhere', body: 1 }, 'not_member'],
      [{ type: 'signal', to: 'b', room: 'typing', body: 1 }, 'bad_frame'],
      [{ type: 'signal', body: 1 }, 'bad_frame'],
      [{ type: 'signal', to: 'b' }, 'bad_frame'],
      [{ type: 'signal', to: 'not a user', body: 1 }, 'bad_frame'],
      [{ type: 'signal', to: 'b', body: 'x'.repeat(20_000) }, 'too_large'],
    ];
    for (const [frame, code] of cases) expect(await a.request(frame), JSON.stringify(frame)).toMatchObject({ code });
    await a.ok({ type: 'join', room: 'quiet:x' });
    expect(await a.request({ type: 'signal', room: 'quiet:x', body: 1 })).toMatchObject({ code: 'forbidden' });
  });
});

describe('token refresh (JWT mode)', () => {
  const secret = 'features-secret-long-enough-for-hs256';
  const sign = (claims: Record<string, unknown>, seconds: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(new TextEncoder().encode(secret));

  it('replaces the credentials in band: the 4001 close moves, rooms no longer allowed are left', async () => {
    await using c = await startCluster({ bus: 'redis', nodes: 2, env: { JWT_SECRET: secret } });
    await using alice = await TestClient.connect(c.url(0), {
      token: await sign({ sub: 'alice', rooms: ['team:*', 'lobby'] }, 3),
    });
    await using bob = await TestClient.connect(c.url(1), { token: await sign({ sub: 'bob' }, 60) });
    await alice.ok({ type: 'join', room: 'team:a' });
    await alice.ok({ type: 'join', room: 'lobby' });
    await bob.ok({ type: 'join', room: 'team:a' });
    const fresh = await sign({ sub: 'alice', rooms: ['lobby'] }, 60);
    const ack = await alice.ok({ type: 'refresh', token: fresh });
    expect(ack.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    const left = await alice.next((f) => f.type === 'error' && f.code === 'forbidden');
    expect(left.message).toMatch(/team:a/);
    expect(await alice.request({ type: 'send', room: 'team:a', body: 1 })).toMatchObject({ code: 'forbidden' });
    expect(
      ((await bob.ok({ type: 'presence', room: 'team:a' })).users as Array<{ user: string }>).map((u) => u.user),
    ).toEqual(['bob']);
    await sleep(4_000); // past the first token's exp: still open
    expect((await alice.request({ type: 'ping' })).type).toBe('pong');
    // another user's token, a bad token, an expired one: unauthorized, nothing changes
    for (const token of [await sign({ sub: 'mallory' }, 60), 'not.a.token', await sign({ sub: 'alice' }, -60)]) {
      expect(await alice.request({ type: 'refresh', token })).toMatchObject({ type: 'error', code: 'unauthorized' });
    }
    expect(await alice.request({ type: 'refresh' })).toMatchObject({ code: 'bad_frame' });
    expect((await alice.ok({ type: 'send', room: 'lobby', body: 'still alice' })).type).toBe('ack');
  }, 30_000);

  it('is refused in dev mode', async () => {
    await using c = await startCluster({ bus: 'memory' });
    await using a = await TestClient.connect(c.url(), { user: 'a' });
    expect(await a.request({ type: 'refresh', token: 'x' })).toMatchObject({ code: 'unauthorized' });
  });
});

const call = (c: Cluster, i: number, method: string, path: string, body?: unknown, token = ADMIN) =>
  fetch(`${c.http(i)}${path}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });

describe.each(['memory', 'redis'] as const)('server API (%s)', (bus: BusKind) => {
  it('dm, signal and publish with key; every route refuses a missing or wrong token and bad bodies', async () => {
    await using c = await startCluster({ bus, env });
    await using bob = await TestClient.connect(c.url(1), { user: 'bob' });
    await bob.ok({ type: 'join', room: 'news' }); // (answered after its inbox opened: its node has bob's channel)
    const dm = await call(c, 0, 'POST', '/api/dm', { to: 'bob', body: { hi: 1 } });
    expect(dm.status).toBe(200);
    expect(await dm.json()).toMatchObject({ online: true });
    expect(await bob.next((f) => f.type === 'dm')).toMatchObject({ from: 'server', body: { hi: 1 } });
    expect(
      await (await call(c, 0, 'POST', '/api/dm', { to: 'offline', body: 1, from: 'support' })).json(),
    ).toMatchObject({
      online: false,
    });
    expect(await (await call(c, 0, 'POST', '/api/signal', { to: 'bob', body: 'ring' })).json()).toEqual({
      online: true,
    });
    expect(await bob.next((f) => f.type === 'signal')).toMatchObject({ from: 'server', to: 'bob', body: 'ring' });
    expect(await (await call(c, 0, 'POST', '/api/signal', { room: 'news', body: 'all' })).json()).toEqual({
      room: 'news',
    });
    await bob.next((f) => f.type === 'signal' && f.room === 'news');
    const first = await (await call(c, 0, 'POST', '/api/publish', { room: 'news', body: 'once', key: 'k1' })).json();
    const again = await (await call(c, 1, 'POST', '/api/publish', { room: 'news', body: 'twice', key: 'k1' })).json();
    expect(again).toEqual(first);
    await sleep(200);
    expect(bob.messages('news').map((m) => m.body)).toEqual(['once']);

    for (const [method, path] of [
      ['POST', '/api/dm'],
      ['POST', '/api/signal'],
      ['POST', '/api/disconnect'],
      ['POST', '/api/ban'],
      ['DELETE', '/api/ban/bob'],
      ['GET', '/api/rooms'],
      ['GET', '/api/rooms/news/presence'],
    ] as const) {
      for (const token of ['', 'wrong-token']) {
        const res = await call(c, 0, method, path, method === 'POST' ? { to: 'bob', body: 1 } : undefined, token);
        expect(res.status, `${method} ${path} ${token}`).toBe(401);
        expect(await res.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
      }
    }
    const bad: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/api/dm', '{nope', /JSON/],
      ['POST', '/api/dm', { body: 1 }, /to/],
      ['POST', '/api/dm', { to: 'bob' }, /body/],
      ['POST', '/api/dm', { to: 'bad user', body: 1 }, /to/],
      ['POST', '/api/dm', { to: 'bob', body: 'x'.repeat(20_000) }, /maxBodyBytes/],
      ['POST', '/api/signal', { to: 'bob', room: 'news', body: 1 }, /exactly one/],
      ['POST', '/api/signal', { body: 1 }, /exactly one/],
      ['POST', '/api/disconnect', {}, /user/],
      ['POST', '/api/ban', { user: 'bob' }, /seconds/],
      ['POST', '/api/ban', { user: 'bob', seconds: 0 }, /seconds/],
      ['POST', '/api/ban', { user: 'bob', seconds: 'ten' }, /seconds/],
      ['GET', '/api/rooms/bad%20room/presence', undefined, /room/],
      ['GET', '/api/rooms/news/presence?limit=0', undefined, /limit/],
      ['GET', '/api/rooms/news/history?limit=500', undefined, /limit/],
      ['GET', '/api/rooms?limit=abc', undefined, /limit/],
    ];
    for (const [method, path, body, reason] of bad) {
      const res = await call(c, 0, method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      const { error, message } = (await res.json()) as { error: string; message: string };
      expect(`${error}: ${message}`).toMatch(reason);
    }
    for (const path of ['/api/nothing', '/api/rooms/news/nothing'])
      expect((await call(c, 0, 'GET', path)).status).toBe(404);
    expect((await call(c, 0, 'DELETE', '/api/ban/never-banned')).status).toBe(404);
  });

  it('disconnect and ban close every connection of the user with 4003 / 4004; a ban refuses upgrades everywhere', async () => {
    await using c = await startCluster({ bus, env });
    const tabs = await Promise.all([0, 1, 2].map((i) => TestClient.connect(c.url(i), { user: 'troll' })));
    for (const tab of tabs) await tab.ok({ type: 'ping' }); // each node now holds troll's channel
    const disconnected = await (
      await call(c, 0, 'POST', '/api/disconnect', { user: 'troll', reason: 'be nice' })
    ).json();
    expect(disconnected).toEqual({ closed: 3 });
    for (const tab of tabs) expect(await tab.closed).toMatchObject({ code: 4003 });
    await using back = await TestClient.connect(c.url(1), { user: 'troll' }); // may come back when it wants
    await back.ok({ type: 'ping' });
    const banned = await (await call(c, 1, 'POST', '/api/ban', { user: 'troll', seconds: 2 })).json();
    expect(banned).toMatchObject({ closed: 1, until: expect.any(Number) });
    expect(await back.closed).toMatchObject({ code: 4004 });
    for (let i = 0; i < c.nodes.length; i++) expect(await refused(c.url(i), { user: 'troll' })).toBe(403);
    expect((await call(c, 0, 'DELETE', '/api/ban/troll')).status).toBe(200);
    expect(await refused(c.url(0), { user: 'troll' })).toBe(101);
    await call(c, 0, 'POST', '/api/ban', { user: 'troll', seconds: 1 });
    expect(await refused(c.url(0), { user: 'troll' })).toBe(403);
    await sleep(1_200);
    expect(await refused(c.url(0), { user: 'troll' })).toBe(101); // expired
    expect(await (await call(c, 0, 'POST', '/api/disconnect', { user: 'nobody' })).json()).toEqual({ closed: 0 });
    await using online = await TestClient.connect(c.url(2), { user: 'troll' });
    await online.ok({ type: 'ping' });
    expect(await (await call(c, 0, 'GET', '/api/users/troll')).json()).toEqual({
      user: 'troll',
      online: true,
      nodes: 1,
      bannedUntil: null,
    });
    await call(c, 0, 'POST', '/api/ban', { user: 'troll', seconds: 60 });
    expect(await (await call(c, 1, 'GET', '/api/users/troll')).json()).toMatchObject({
      online: false,
      bannedUntil: expect.any(Number),
    });
  });

  it('reads presence, occupancy, history and the biggest rooms', async () => {
    await using c = await startCluster({ bus, env });
    const members = await Promise.all(
      ['u1', 'u2', 'u3', 'u3'].map((user, i) => TestClient.connect(c.url(i), { user })),
    );
    for (const m of members) await m.ok({ type: 'join', room: 'big' });
    await members[0]!.ok({ type: 'join', room: 'small' });
    await members[0]!.ok({ type: 'send', room: 'big', body: 'hello' });
    const presence = await (await call(c, 0, 'GET', '/api/rooms/big/presence?limit=2')).json();
    expect(presence).toMatchObject({
      type: 'presence',
      room: 'big',
      users: [{ user: 'u1' }, { user: 'u2' }],
      next: 'u2',
    });
    const rest = await (await call(c, 0, 'GET', '/api/rooms/big/presence?after=u2')).json();
    expect(rest).toMatchObject({ users: [{ user: 'u3', connections: 2 }] });
    expect(await (await call(c, 0, 'GET', '/api/rooms/big/occupancy')).json()).toEqual({ users: 3, connections: 4 });
    const history = await (await call(c, 0, 'GET', '/api/rooms/big/history?limit=5')).json();
    expect(history).toMatchObject({ type: 'history', room: 'big', messages: [{ seq: 1, body: 'hello' }] });
    // heartbeats carry each node's biggest rooms: wait for one round of them
    await sleep(2_500);
    const rooms = (await (await call(c, 0, 'GET', '/api/rooms?limit=2')).json()) as Array<Record<string, unknown>>;
    expect(rooms).toEqual([
      { room: 'big', users: 3, connections: 4 },
      { room: 'small', users: 1, connections: 1 },
    ]);
    for (const m of members) m.close();
  });
});

it('serves its OpenAPI description, generated from the schemas that validate the bodies', async () => {
  await using c = await startCluster({ bus: 'memory', env });
  const res = await fetch(`${c.http()}/api/openapi.json`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
  };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths).sort()).toEqual([
    '/api/ban',
    '/api/ban/{user}',
    '/api/disconnect',
    '/api/dm',
    '/api/publish',
    '/api/rooms',
    '/api/rooms/{room}/history',
    '/api/rooms/{room}/occupancy',
    '/api/rooms/{room}/presence',
    '/api/signal',
    '/api/users/{user}',
  ]);
  expect(doc.paths['/api/ban']!.post!.requestBody!.content['application/json']!.schema).toMatchObject({
    type: 'object',
    required: expect.arrayContaining(['user', 'seconds']),
    properties: { seconds: { type: 'integer', minimum: 1 } },
  });
});
