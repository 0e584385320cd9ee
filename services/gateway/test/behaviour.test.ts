// The behaviour suite of PROTOCOL.md §1-§5, run over every bus with describe.each — never copied per driver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, TestClient, sleep, type BusKind, type Cluster, type Frame } from '@chorus/test-kit';

const buses: BusKind[] = (process.env.CHORUS_TEST_BUSES ?? 'memory,redis,redis-cluster').split(',') as BusKind[];

let rooms = 0;
const freshRoom = () => `room-${process.pid}-${rooms++}`;
const seqs = (frames: Frame[]) => frames.map((f) => f.seq as number);

describe.each(buses)('behaviour on the %s bus', (bus) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ bus, env: { HISTORY_SIZE: '20' } });
  });
  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
  });
  const connect = (user: string, node = 0, name?: string) => TestClient.connect(cluster.url(node), { user, name });

  describe('welcome', () => {
    it('is the first frame, with the connection, user, node, heartbeat and limits', async () => {
      await using c = await connect('alice', 0, 'Alice');
      const welcome = c.frames[0]!;
      expect(welcome).toMatchObject({
        type: 'welcome',
        user: 'alice',
        name: 'Alice',
        heartbeatMs: 25000,
        limits: { maxFrameBytes: 65536, maxBodyBytes: 16384, ratePerSec: 50, maxRooms: 100 },
      });
      expect(welcome.conn).toMatch(/^[A-Za-z0-9_-]{21}$/);
      expect(typeof welcome.node).toBe('string');
    });
    it('defaults the display name to the user id', async () => {
      await using c = await connect('bob');
      expect(c.frames[0]).toMatchObject({ user: 'bob', name: 'bob' });
    });
  });

  describe('rooms', () => {
    it('a new room starts at seq 0; messages get 1, 2, 3 and reach every member, the sender included', async () => {
      const room = freshRoom();
      await using a = await connect('alice', 0);
      await using b = await connect('bob', 1);
      const joinA = await a.ok({ type: 'join', room });
      expect(joinA).toMatchObject({ type: 'ack', room, seq: 0 });
      expect(typeof joinA.epoch).toBe('string');
      await b.ok({ type: 'join', room });
      for (let i = 1; i <= 3; i++) {
        const ack = await a.ok({ type: 'send', room, body: { n: i } });
        expect(ack).toMatchObject({ type: 'ack', room, seq: i });
        expect(ack.msg).toMatch(/^[A-Za-z0-9_-]{21}$/);
      }
      for (const c of [a, b]) {
        const got = await c.collect((f) => f.type === 'message' && f.room === room, 3);
        expect(seqs(got)).toEqual([1, 2, 3]);
        expect(got[0]).toMatchObject({ room, from: 'alice', name: 'alice', body: { n: 1 } });
        expect(typeof got[0]!.ts).toBe('number');
      }
    });

    it('two sends from one connection get increasing seq in the order sent (no ids, pipelined)', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await a.ok({ type: 'join', room });
      for (let i = 0; i < 20; i++) a.sendRaw(JSON.stringify({ type: 'send', room, body: i }));
      const got = await a.collect((f) => f.type === 'message' && f.room === room, 20);
      expect(got.map((f) => f.body)).toEqual([...Array(20).keys()]);
      expect(seqs(got)).toEqual([...Array(20).keys()].map((i) => i + 1));
      expect(a.frames.filter((f) => f.type === 'ack' && f.room === room && 'msg' in f)).toHaveLength(0);
    });

    it('concurrent senders on every node: every member sees the identical gap-free order', async () => {
      const room = freshRoom();
      const clients = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => connect(`u${i}`, i)));
      try {
        for (const c of clients) await c.ok({ type: 'join', room });
        await Promise.all(
          clients.map(async (c, i) => {
            for (let n = 0; n < 15; n++) c.sendRaw(JSON.stringify({ type: 'send', room, body: `${i}:${n}` }));
          }),
        );
        const orders = await Promise.all(
          clients.map((c) => c.collect((f) => f.type === 'message' && f.room === room, 90)),
        );
        const reference = orders[0]!.map((f) => `${f.seq}/${String(f.body)}`);
        expect(seqs(orders[0]!)).toEqual([...Array(90).keys()].map((i) => i + 1));
        for (const order of orders) expect(order.map((f) => `${f.seq}/${String(f.body)}`)).toEqual(reference);
      } finally {
        for (const c of clients) c.close();
      }
    });

    it('send and leave need membership; joining twice answers like a join', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      expect(await a.request({ type: 'send', room, body: 1 })).toMatchObject({ type: 'error', code: 'not_member' });
      expect(await a.request({ type: 'leave', room })).toMatchObject({ type: 'error', code: 'not_member' });
      await a.ok({ type: 'join', room });
      await a.ok({ type: 'send', room, body: 'x' });
      expect(await a.ok({ type: 'join', room })).toMatchObject({ type: 'ack', room, seq: 1 });
      expect(await a.ok({ type: 'leave', room })).toEqual({ type: 'ack', id: expect.any(String), room });
      expect(await a.request({ type: 'send', room, body: 1 })).toMatchObject({ type: 'error', code: 'not_member' });
    });

    it('a member that left gets nothing more from the room', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await using b = await connect('bob', 1);
      await a.ok({ type: 'join', room });
      await b.ok({ type: 'join', room });
      await b.ok({ type: 'leave', room });
      await a.ok({ type: 'send', room, body: 'after' });
      await a.collect((f) => f.type === 'message' && f.room === room, 1);
      await sleep(150);
      expect(b.messages(room)).toHaveLength(0);
    });

    it('frames without an id get no ack on success, but data replies are always sent', async () => {
      await using a = await connect('alice');
      const room = freshRoom();
      a.sendRaw(JSON.stringify({ type: 'join', room }));
      a.sendRaw(JSON.stringify({ type: 'ping' }));
      a.sendRaw(JSON.stringify({ type: 'echo', body: [1, 'two'] }));
      a.sendRaw(JSON.stringify({ type: 'presence', room }));
      a.sendRaw(JSON.stringify({ type: 'history', room }));
      await a.next((f) => f.type === 'history');
      expect(a.frames.map((f) => f.type)).toEqual(['welcome', 'pong', 'echo', 'presence', 'history']);
      expect(a.frames[2]).toEqual({ type: 'echo', body: [1, 'two'] });
      expect(a.frames.every((f) => !('id' in f))).toBe(true);
    });
  });

  describe('history', () => {
    it('returns the latest `limit` messages ascending, pages with `before`, and keeps only HISTORY_SIZE', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await a.ok({ type: 'join', room });
      for (let i = 1; i <= 25; i++) await a.ok({ type: 'send', room, body: i });
      const latest = await a.ok({ type: 'history', room, limit: 5 });
      expect(latest).toMatchObject({ type: 'history', room, epoch: expect.any(String) });
      expect(seqs(latest.messages as Frame[])).toEqual([21, 22, 23, 24, 25]);
      expect((latest.messages as Frame[])[0]).toMatchObject({ type: 'message', room, from: 'alice', body: 21 });
      const page = await a.ok({ type: 'history', room, before: 21, limit: 3 });
      expect(seqs(page.messages as Frame[])).toEqual([18, 19, 20]);
      const all = await a.ok({ type: 'history', room, limit: 200 });
      expect(seqs(all.messages as Frame[])).toEqual([...Array(20).keys()].map((i) => i + 6)); // HISTORY_SIZE=20
      const dflt = await a.ok({ type: 'history', room });
      expect((dflt.messages as Frame[]).length).toBe(20);
    });
    it('needs no membership; a room never used has an empty history', async () => {
      await using a = await connect('alice');
      const reply = await a.ok({ type: 'history', room: freshRoom() });
      expect(reply.messages).toEqual([]);
    });
  });

  describe('recovery with since', () => {
    it('replays what was missed after the ack, then continues live with no gap and no duplicate', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await a.ok({ type: 'join', room });
      for (let i = 1; i <= 5; i++) await a.ok({ type: 'send', room, body: i });
      const { epoch } = await a.ok({ type: 'history', room, limit: 1 });
      await using b = await connect('bob', 1);
      const before = b.frames.length;
      const ack = await b.ok({ type: 'join', room, since: 2, epoch });
      expect(ack).toMatchObject({ room, seq: 5, epoch, recovered: true });
      await a.ok({ type: 'send', room, body: 6 });
      const got = await b.collect((f) => f.type === 'message' && f.room === room, 4);
      expect(seqs(got)).toEqual([3, 4, 5, 6]);
      const ackIndex = b.frames.indexOf(ack);
      expect(ackIndex).toBeGreaterThanOrEqual(before);
      expect(b.frames.indexOf(got[0]!)).toBeGreaterThan(ackIndex);
      await sleep(100);
      expect(seqs(b.messages(room))).toEqual([3, 4, 5, 6]);
    });

    it('live traffic during the replay is neither lost nor duplicated', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await a.ok({ type: 'join', room });
      for (let i = 0; i < 5; i++) await a.ok({ type: 'send', room, body: i });
      await using b = await connect('bob', 2);
      // HISTORY_SIZE is 20: 5 stored + 14 live stay within retention, so the replay is complete.
      for (let i = 0; i < 14; i++) a.sendRaw(JSON.stringify({ type: 'send', room, body: `live${i}` }));
      const ack = await b.ok({ type: 'join', room, since: 0 });
      expect(ack.recovered).toBe(true);
      const got = await b.collect((f) => f.type === 'message' && f.room === room, 19);
      expect(seqs(got)).toEqual([...Array(19).keys()].map((i) => i + 1));
      await sleep(100);
      expect(b.messages(room)).toHaveLength(19);
    });

    it('recovered is false when since is beyond the latest seq, the epoch changed, or retention lost some', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await a.ok({ type: 'join', room });
      for (let i = 1; i <= 25; i++) await a.ok({ type: 'send', room, body: i });
      // each case on a fresh connection: a join of a room already joined replays nothing (§10.8)
      await using b1 = await connect('bob');
      expect(await b1.ok({ type: 'join', room, since: 99 })).toMatchObject({ seq: 25, recovered: false });
      await using b2 = await connect('bob');
      const wrongEpoch = await b2.ok({ type: 'join', room, since: 20, epoch: 'not-the-epoch' });
      expect(wrongEpoch).toMatchObject({ seq: 25, recovered: false });
      await sleep(100);
      expect(b2.messages(room)).toHaveLength(0); // epoch changed: nothing replayed
      await using b = await connect('bob');
      const trimmed = await b.ok({ type: 'join', room, since: 1 });
      expect(trimmed).toMatchObject({ seq: 25, recovered: false });
      const replayed = await b.collect((f) => f.type === 'message' && f.room === room, 20);
      expect(seqs(replayed)).toEqual([...Array(20).keys()].map((i) => i + 6)); // the retained ones
      const again = await b.ok({ type: 'join', room, since: 1, epoch: trimmed.epoch });
      expect(again).toMatchObject({ seq: 25, epoch: trimmed.epoch, recovered: true }); // live since its join
      await sleep(100);
      expect(b.messages(room)).toHaveLength(20); // and nothing replayed twice
      await using b4 = await connect('bob');
      const whole = await b4.ok({ type: 'join', room, since: 25 });
      expect(whole).toMatchObject({ seq: 25, recovered: true });
    });
  });

  describe('idempotency', () => {
    it('a repeated key returns the first reply and delivers nothing, whatever its room, kind or body', async () => {
      const room = freshRoom();
      const other = freshRoom();
      await using a = await connect('alice');
      await using a2 = await connect('alice', 1);
      await a.ok({ type: 'join', room });
      await a2.ok({ type: 'join', room: other });
      const first = await a.ok({ type: 'send', room, body: 'once', key: 'k-1' });
      const again = await a.ok({ type: 'send', room, body: 'twice', key: 'k-1' });
      const elsewhere = await a2.ok({ type: 'send', room: other, body: 'other', key: 'k-1' });
      const asDm = await a2.ok({ type: 'dm', to: 'bob', body: 'dm', key: 'k-1' });
      for (const r of [again, elsewhere, asDm]) expect(r).toMatchObject({ room, seq: first.seq, msg: first.msg });
      await sleep(150);
      expect(a.messages(room)).toHaveLength(1);
      expect(a2.messages(other)).toHaveLength(0);
      await using b = await connect('bob');
      await sleep(100);
      expect(b.frames.filter((f) => f.type === 'dm')).toHaveLength(0);
    });
    it('keys belong to one user: another user with the same key is a new request', async () => {
      const room = freshRoom();
      await using a = await connect('alice');
      await using b = await connect('bob');
      await a.ok({ type: 'join', room });
      await b.ok({ type: 'join', room });
      const first = await a.ok({ type: 'send', room, body: 1, key: 'shared' });
      const second = await b.ok({ type: 'send', room, body: 2, key: 'shared' });
      expect(second.seq).toBe((first.seq as number) + 1);
    });
  });

  describe('direct messages and the inbox', () => {
    it('reaches every connection of the recipient; online says so', async () => {
      await using a = await connect('dm-alice');
      await using b1 = await connect('dm-bob', 0);
      await using b2 = await connect('dm-bob', 1);
      const ack = await a.ok({ type: 'dm', to: 'dm-bob', body: { hi: 1 } });
      expect(ack).toMatchObject({ type: 'ack', online: true });
      expect(ack.msg).toMatch(/^[A-Za-z0-9_-]{21}$/);
      for (const b of [b1, b2]) {
        const dm = await b.next((f) => f.type === 'dm');
        expect(dm).toMatchObject({
          seq: 1,
          msg: ack.msg,
          from: 'dm-alice',
          name: 'dm-alice',
          to: 'dm-bob',
          body: { hi: 1 },
        });
      }
    });

    it('keeps dms for an offline user and delivers them right after welcome, oldest first, until confirmed', async () => {
      await using a = await connect('in-alice');
      const acks = [];
      for (let i = 1; i <= 3; i++) acks.push(await a.ok({ type: 'dm', to: 'in-carol', body: i }));
      expect(acks.every((x) => x.online === false)).toBe(true);
      const c1 = await connect('in-carol', 1);
      await c1.collect((f) => f.type === 'dm', 3);
      expect(c1.frames.slice(0, 4).map((f) => f.type)).toEqual(['welcome', 'dm', 'dm', 'dm']);
      expect(c1.frames.slice(1, 4).map((f) => f.body)).toEqual([1, 2, 3]);
      expect(await c1.ok({ type: 'received', upTo: 2 })).toMatchObject({ type: 'ack', upTo: 2 });
      expect(await c1.ok({ type: 'received', upTo: 1 })).toMatchObject({ upTo: 2 }); // lower changes nothing
      c1.close();
      await c1.closed;
      await using c2 = await connect('in-carol', 2);
      await sleep(150);
      const dms = c2.frames.filter((f) => f.type === 'dm');
      expect(dms.map((f) => f.seq)).toEqual([3]); // delivered live but never confirmed: sent again
      await c2.ok({ type: 'received', upTo: 3 });
      await using c3 = await connect('in-carol');
      await sleep(150);
      expect(c3.frames.filter((f) => f.type === 'dm')).toHaveLength(0);
    });

    it('unconfirmed dms come before any reply to frames sent right after connecting', async () => {
      await using a = await connect('q-alice');
      for (let i = 0; i < 5; i++) await a.ok({ type: 'dm', to: 'q-dave', body: i });
      const d = await connect('q-dave');
      d.sendRaw(JSON.stringify({ type: 'ping', id: 'p' }));
      await d.next((f) => f.type === 'pong');
      expect(d.frames.map((f) => f.type)).toEqual(['welcome', 'dm', 'dm', 'dm', 'dm', 'dm', 'pong']);
      d.close();
    });

    it('received never confirms past the newest dm', async () => {
      await using a = await connect('r-alice');
      await using e = await connect('r-erin');
      await a.ok({ type: 'dm', to: 'r-erin', body: 1 });
      await e.next((f) => f.type === 'dm');
      expect(await e.ok({ type: 'received', upTo: 1000 })).toMatchObject({ upTo: 1 });
      await a.ok({ type: 'dm', to: 'r-erin', body: 2 });
      await using e2 = await connect('r-erin', 1);
      const dm = await e2.next((f) => f.type === 'dm');
      expect(dm).toMatchObject({ seq: 2, body: 2 });
    });
  });

  describe('presence', () => {
    it('lists users with their joined connections, and announces first-in / last-out to the others', async () => {
      const room = freshRoom();
      await using a = await connect('p-alice', 0, 'Alice');
      await a.ok({ type: 'join', room });
      await using b1 = await connect('p-bob', 1, 'Bob');
      await using b2 = await connect('p-bob', 2, 'Bob');
      await b1.ok({ type: 'join', room });
      const joined = await a.next((f) => f.type === 'user_joined');
      expect(joined).toEqual({ type: 'user_joined', room, user: 'p-bob', name: 'Bob' });
      await b2.ok({ type: 'join', room });
      const list = await a.ok({ type: 'presence', room });
      expect(list).toMatchObject({ type: 'presence', room });
      const users = (list.users as Frame[]).sort((x, y) => String(x.user).localeCompare(String(y.user)));
      expect(users).toEqual([
        { user: 'p-alice', name: 'Alice', connections: 1 },
        { user: 'p-bob', name: 'Bob', connections: 2 },
      ]);
      await b1.ok({ type: 'leave', room });
      await sleep(150);
      expect(a.frames.filter((f) => f.type === 'user_left')).toHaveLength(0); // bob still has b2 in the room
      b2.close();
      expect(await a.next((f) => f.type === 'user_left')).toEqual({ type: 'user_left', room, user: 'p-bob' });
      expect(b1.frames.filter((f) => f.type === 'user_joined' || f.type === 'user_left')).toHaveLength(0);
      await sleep(100);
      expect((await a.ok({ type: 'presence', room })).users).toEqual([
        { user: 'p-alice', name: 'Alice', connections: 1 },
      ]);
    });
  });

  describe('ping and echo', () => {
    it('pong carries the server time; echo returns the same body', async () => {
      await using a = await connect('alice');
      const pong = await a.ok({ type: 'ping' });
      expect(Math.abs((pong.ts as number) - Date.now())).toBeLessThan(5_000);
      const body = { deep: [1, { two: 'three' }], unicode: 'héllo ✓ 🎉', n: null };
      expect(await a.ok({ type: 'echo', body })).toEqual({ type: 'echo', id: expect.any(String), body });
    });
  });
});
