// Presence that scales (PROTOCOL.md §10.1, §10.2): namespaces, the four modes, the valves, paging, occupancy.
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, sleep, type BusKind, type Frame } from '@chorus/test-kit';

const WINDOW_MS = 150;
const env = {
  PRESENCE_EACH_MAX: '3',
  PRESENCE_BATCH_MAX: '4',
  PRESENCE_BATCH_MS: String(WINDOW_MS),
  ADMIN_TOKEN: 'presence-admin-token-0123456789',
  NAMESPACES: JSON.stringify({
    live: { presence: 'batched' },
    ann: { presence: 'count', publish: 'server' },
    quiet: { presence: 'off', history: 0 },
  }),
};
/** Unsolicited frames of a type (replies carry an id). */
const of = (type: string, c: TestClient) => c.frames.filter((f) => f.type === type && f.id === undefined);

describe.each(['memory', 'redis'] as const)('presence modes (%s)', (bus: BusKind) => {
  const cluster = async () => startCluster({ bus, nodes: 2, env });
  let n = 0;
  const fresh = (ns: string) => `${ns}${n++}-${Date.now().toString(36)}`;

  it('each: per-user events up to PRESENCE_EACH_MAX users, counts past it, per-user again below it', async () => {
    await using c = await cluster();
    const room = fresh('lobby');
    const clients: TestClient[] = [];
    for (let i = 0; i < 4; i++) {
      const client = await TestClient.connect(c.url(i), { user: `u${i}` });
      clients.push(client);
      await client.ok({ type: 'join', room });
    }
    const [first, , , fourth] = clients as [TestClient, TestClient, TestClient, TestClient];
    await first.collect((f) => f.type === 'user_joined', 2);
    // the 4th user took the room past 3: an occupancy count, not a user_joined
    expect(await first.next((f) => f.type === 'occupancy')).toMatchObject({ room, users: 4, connections: 4 });
    await sleep(WINDOW_MS * 2);
    expect(of('user_joined', first).map((f) => f.user)).toEqual(['u1', 'u2']);
    // presence still lists everyone, in id order
    const listed = await first.ok({ type: 'presence', room });
    expect((listed.users as Array<{ user: string }>).map((u) => u.user)).toEqual(['u0', 'u1', 'u2', 'u3']);
    // back at the limit: per-user events again
    await fourth.ok({ type: 'leave', room });
    expect(await first.next((f) => f.type === 'user_left')).toMatchObject({ room, user: 'u3' });
    for (const client of clients) client.close();
  });

  it('batched: one presence_diff per window with every change; joined-then-left within it is in neither list', async () => {
    await using c = await cluster();
    const room = fresh('live:');
    await using watcher = await TestClient.connect(c.url(0), { user: 'watcher' });
    await watcher.ok({ type: 'join', room });
    await sleep(WINDOW_MS * 2);
    const a = await TestClient.connect(c.url(1), { user: 'a' });
    const b = await TestClient.connect(c.url(0), { user: 'b' });
    const blip = await TestClient.connect(c.url(1), { user: 'blip' });
    await Promise.all([a.ok({ type: 'join', room }), b.ok({ type: 'join', room }), blip.ok({ type: 'join', room })]);
    await blip.ok({ type: 'leave', room });
    await sleep(WINDOW_MS * 3);
    const diffs = of('presence_diff', watcher);
    const joined = diffs.flatMap((d) => (d.joined as Array<{ user: string }>).map((j) => j.user)).sort();
    const left = diffs.flatMap((d) => d.left as string[]);
    expect(joined).toEqual(['a', 'b']);
    expect(left).toEqual([]);
    expect(diffs.length).toBeLessThanOrEqual(2); // one window (per node's batch landing in it), not one per change
    expect(of('user_joined', watcher)).toEqual([]);
    // a connection whose change is the window's only change does not hear about itself
    const solo = await TestClient.connect(c.url(0), { user: 'solo' });
    await sleep(WINDOW_MS * 2);
    const soloFrom = solo.frames.length;
    await solo.ok({ type: 'join', room });
    await watcher.next((f) => f.type === 'presence_diff' && JSON.stringify(f.joined).includes('solo'));
    await sleep(WINDOW_MS * 2);
    expect(solo.frames.slice(soloFrom).filter((f) => f.type === 'presence_diff')).toEqual([]);
    // past PRESENCE_BATCH_MAX (4) users: counts
    const extra = await TestClient.connect(c.url(1), { user: 'extra' });
    await extra.ok({ type: 'join', room });
    expect(await watcher.next((f) => f.type === 'occupancy', 2_000)).toMatchObject({ room, users: 5 });
    for (const client of [a, b, blip, solo, extra]) client.close();
  });

  it('count: no lists and no per-user events; occupancy at most once per window when the numbers change', async () => {
    await using c = await cluster();
    const room = fresh('ann:');
    await using watcher = await TestClient.connect(c.url(0), { user: 'watcher' });
    await watcher.ok({ type: 'join', room });
    const others = await Promise.all(
      Array.from({ length: 6 }, (_, i) => TestClient.connect(c.url(i), { user: `c${i % 4}` })),
    );
    await Promise.all(others.map((o) => o.ok({ type: 'join', room })));
    await sleep(WINDOW_MS * 3);
    const counts = of('occupancy', watcher);
    expect(counts.at(-1)).toMatchObject({ room, users: 5, connections: 7 });
    expect(counts.length).toBeLessThanOrEqual(4); // 6 joins over ≤ 2 windows per node, not 6 frames
    expect(of('user_joined', watcher)).toEqual([]);
    expect(await watcher.ok({ type: 'presence', room })).toMatchObject({ users: [], count: 5 });
    expect(await watcher.ok({ type: 'occupancy', room })).toMatchObject({
      type: 'occupancy',
      room,
      users: 5,
      connections: 7,
    });
    // publish: server — members cannot send, the server API can
    expect(await watcher.request({ type: 'send', room, body: 'x' })).toMatchObject({
      type: 'error',
      code: 'forbidden',
    });
    const published = await fetch(`${c.http(1)}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
      body: JSON.stringify({ room, body: 'announcement' }),
    });
    expect(published.status).toBe(200);
    expect(await watcher.next((f) => f.type === 'message')).toMatchObject({ body: 'announcement', from: 'system' });
    const quietNow = counts.length;
    await sleep(WINDOW_MS * 2);
    expect(of('occupancy', watcher).length).toBe(quietNow); // nothing changed: nothing sent
    for (const o of others) o.close();
  });

  it('off: presence and occupancy are forbidden, nothing is announced; history 0 keeps nothing', async () => {
    await using c = await cluster();
    const room = fresh('quiet:');
    await using a = await TestClient.connect(c.url(0), { user: 'a' });
    await using b = await TestClient.connect(c.url(1), { user: 'b' });
    const joined = await a.ok({ type: 'join', room });
    await b.ok({ type: 'join', room });
    await b.ok({ type: 'send', room, body: 1 });
    await a.next((f) => f.type === 'message');
    expect(await a.request({ type: 'presence', room })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await a.request({ type: 'occupancy', room })).toMatchObject({ type: 'error', code: 'forbidden' });
    await sleep(WINDOW_MS * 2);
    expect(a.frames.filter((f: Frame) => ['user_joined', 'presence_diff', 'occupancy'].includes(f.type))).toEqual([]);
    expect(await a.ok({ type: 'history', room })).toMatchObject({ messages: [] });
    await using late = await TestClient.connect(c.url(1), { user: 'late' });
    expect(await late.ok({ type: 'join', room, since: 0, epoch: joined.epoch })).toMatchObject({
      seq: 1,
      recovered: false,
    });
  });

  it('presence pages in ascending id order with limit, after and next; occupancy counts connections', async () => {
    await using c = await cluster();
    const room = fresh('page');
    const users = ['e', 'a', 'd', 'c', 'b'];
    const clients = await Promise.all(users.map((user, i) => TestClient.connect(c.url(i), { user })));
    clients.push(await TestClient.connect(c.url(1), { user: 'c' }));
    for (const client of clients) await client.ok({ type: 'join', room });
    const [viewer] = clients as [TestClient];
    const first = await viewer.ok({ type: 'presence', room, limit: 2 });
    expect(first).toMatchObject({ users: [{ user: 'a' }, { user: 'b' }], next: 'b' });
    const second = await viewer.ok({ type: 'presence', room, limit: 2, after: 'b' });
    expect(second).toMatchObject({ users: [{ user: 'c', connections: 2 }, { user: 'd' }], next: 'd' });
    const last = await viewer.ok({ type: 'presence', room, limit: 2, after: 'd' });
    expect(last.users).toEqual([{ user: 'e', name: 'e', connections: 1 }]);
    expect(last.next).toBeUndefined();
    expect(await viewer.ok({ type: 'occupancy', room })).toMatchObject({ users: 5, connections: 6 });
    // at most 2 s stale, cluster-wide: a join acked on one node shows in the next occupancy read on another
    const late = await TestClient.connect(c.url(1), { user: 'f' });
    await late.ok({ type: 'join', room });
    const t0 = Date.now();
    while (((await viewer.ok({ type: 'occupancy', room })).users as number) !== 6) await sleep(50);
    expect(Date.now() - t0).toBeLessThan(2_000);
    clients.push(late);
    for (const bad of [{ limit: 0 }, { limit: 1001 }, { after: 'not a user' }]) {
      expect(await viewer.request({ type: 'presence', room, ...bad })).toMatchObject({ code: 'bad_frame' });
    }
    expect(await viewer.request({ type: 'occupancy' })).toMatchObject({ code: 'bad_frame' });
    for (const client of clients) client.close();
  });
});
