// Deterministic tests of the client against an in-process fake gateway and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseServerFrame } from '@chorus/protocol';
import { ChorusClient, parseJsonFrame, type StateChange } from './client.js';
import { ChorusError } from './errors.js';
import { FakeGateway } from './fake-gateway.test-support.js';
import { backoffDelay } from './backoff.js';

const flush = () => vi.advanceTimersByTimeAsync(0);

/** Join `name` on the current fake socket, answering as the gateway would. */
const joined = async (client: ChorusClient, name: string, seq: number, epoch = 'e1') => {
  const room = client.room(name);
  const join = room.join();
  gateway.socket.reply((f) => f.type === 'join' && f.room === name, { room: name, seq, epoch });
  await join;
  return room;
};

let gateway: FakeGateway;

describe('ChorusClient', () => {
  let states: StateChange[];
  const make = (options: ConstructorParameters<typeof ChorusClient>[2] = {}, credentials = { user: 'alice' }) => {
    const client = new ChorusClient(['ws://a/ws', 'ws://b/ws'], credentials, {
      WebSocket: gateway.factory,
      random: () => 0.5,
      ...options,
    });
    client.on('state', (s) => states.push(s));
    return client;
  };
  beforeEach(() => {
    vi.useFakeTimers();
    gateway = new FakeGateway();
    states = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('moves connecting → connected on welcome, with the identity in the url', async () => {
    const client = make({}, { user: 'alice', name: 'Alice' } as never);
    await flush();
    expect(client.state).toBe('connecting');
    expect(gateway.socket.url).toBe('ws://a/ws?user=alice&name=Alice');
    gateway.socket.welcome();
    await client.ready();
    expect(client.state).toBe('connected');
    expect(states).toEqual([{ from: 'connecting', to: 'connected', reason: 'connected' }]);
    expect(client.user).toBe('alice');
  });

  it('resolves a request with its ack and rejects with the protocol code, or on timeout', async () => {
    const client = make({ requestTimeoutMs: 1000 });
    await flush();
    gateway.socket.welcome();
    const room = client.room('lobby');
    const join = room.join();
    gateway.socket.reply((f) => f.type === 'join', { room: 'lobby', seq: 4, epoch: 'e1' });
    expect(await join).toMatchObject({ seq: 4, epoch: 'e1' });
    expect(room.lastSeq).toBe(4);
    const send = room.send({ text: 'hi' });
    const frame = gateway.socket.last('send')!;
    expect(frame.key).toMatch(/^[0-9a-f]{24}$/);
    gateway.socket.push({ type: 'error', id: frame.id, code: 'rate_limited', message: 'slow down' });
    await expect(send).rejects.toMatchObject({ code: 'rate_limited', retryable: true });
    const slow = room.history();
    vi.advanceTimersByTime(1001);
    await expect(slow).rejects.toBeInstanceOf(ChorusError);
    await expect(slow).rejects.toMatchObject({ code: 'timeout' });
  });

  it('delivers room messages once, in order, and tells the room and the client', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome();
    const room = await joined(client, 'lobby', 0);
    const seen: number[] = [];
    room.on('message', (m) => seen.push(m.seq));
    const all: number[] = [];
    client.on('message', (m) => all.push(m.seq));
    for (const seq of [1, 2, 2, 1, 3])
      gateway.socket.push({
        type: 'message',
        room: 'lobby',
        seq,
        msg: `m${seq}`,
        from: 'b',
        name: 'b',
        body: seq,
        ts: 1,
      });
    gateway.socket.push({ type: 'message', room: 'elsewhere', seq: 9, msg: 'x', from: 'b', name: 'b', body: 0, ts: 1 });
    expect(seen).toEqual([1, 2, 3]);
    expect(all).toEqual([1, 2, 3]);
  });

  it('backs off with full jitter after an abnormal close, rotating urls, and resets after welcome', async () => {
    const client = make({ backoff: { baseMs: 100, maxMs: 1000 } });
    await flush();
    gateway.socket.welcome();
    gateway.socket.drop(1006);
    expect(client.state).toBe('reconnecting');
    expect(states.at(-1)).toMatchObject({ to: 'reconnecting', code: 1006 });
    const delays = [50, 100, 200, 400, 500, 500]; // 0.5 × min(1000, 100 × 2^n)
    for (const delay of delays) {
      const before = gateway.sockets.length;
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(gateway.sockets.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(gateway.sockets.length).toBe(before + 1);
      gateway.socket.drop(1006);
    }
    expect(gateway.sockets.map((s) => s.url.slice(0, 8))).toEqual([
      'ws://a/w',
      'ws://b/w',
      'ws://a/w',
      'ws://b/w',
      'ws://a/w',
      'ws://b/w',
      'ws://a/w',
    ]);
    await vi.advanceTimersByTimeAsync(500);
    gateway.socket.welcome();
    expect(client.state).toBe('connected');
    gateway.socket.drop(1006);
    await vi.advanceTimersByTimeAsync(50);
    expect(gateway.sockets.length).toBe(9); // the attempt counter started over
    expect(backoffDelay(40, { baseMs: 100, maxMs: 1000 }, () => 0.999)).toBe(999);
  });

  it('reconnects promptly after 1012/1013 and stops for good after 1008', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome();
    gateway.socket.drop(1012, 'draining');
    await vi.advanceTimersByTimeAsync(250); // 0.5 × 500 ms
    expect(gateway.sockets.length).toBe(2);
    gateway.socket.welcome();
    const pending = client.room('x').history();
    gateway.socket.drop(1008, 'policy');
    expect(client.state).toBe('closed');
    expect(states.at(-1)).toMatchObject({ to: 'closed', code: 1008 });
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(gateway.sockets.length).toBe(2);
  });

  it('asks the app for a fresh token after 4001', async () => {
    let n = 0;
    const getToken = vi.fn(() => `token-${++n}`);
    const client = make({}, { getToken } as never);
    await flush();
    expect(gateway.socket.url).toBe('ws://a/ws?token=token-1');
    gateway.socket.welcome();
    gateway.socket.drop(4001, 'token expired');
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(250);
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(gateway.socket.url).toBe('ws://b/ws?token=token-2');
  });

  it('backs off when fresh tokens are refused the same way (a 4001 loop)', async () => {
    let n = 0;
    const getToken = vi.fn(() => `token-${++n}`);
    const client = make({ backoff: { baseMs: 1_000, maxMs: 30_000 } }, { getToken } as never);
    await flush();
    for (let i = 0; i < 6; i++) {
      gateway.socket.welcome();
      gateway.socket.drop(4001, 'token expired'); // closed again right after welcome
      await vi.advanceTimersByTimeAsync(3_000);
    }
    // six refusals in 18 s: prompt retries would have fetched a token every 250 ms (~70 times)
    expect(getToken.mock.calls.length).toBeLessThanOrEqual(5);
    expect(client.state).toBe('reconnecting');
  });

  it('turns batched diffs into the same user events as per-user frames, and keeps the latest occupancy', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome();
    const room = await joined(client, 'live:x', 0);
    const events: string[] = [];
    room.on('user_joined', (e) => events.push(`room+${e.user}`));
    room.on('user_left', (e) => events.push(`room-${e.user}`));
    client.on('user_joined', (e) => events.push(`client+${e.user}`));
    client.on('user_left', (e) => events.push(`client-${e.user}`));
    const counts: unknown[] = [];
    room.on('occupancy', (o) => counts.push(o));
    gateway.socket.push({ type: 'user_joined', room: 'live:x', user: 'a', name: 'A' });
    gateway.socket.push({
      type: 'presence_diff',
      room: 'live:x',
      joined: [{ user: 'b', name: 'B' }],
      left: ['a'],
    });
    gateway.socket.push({ type: 'occupancy', room: 'live:x', users: 7, connections: 9 });
    gateway.socket.push({ type: 'presence_diff', room: 'elsewhere', joined: [{ user: 'z', name: 'Z' }], left: [] });
    expect(events).toEqual(['room+a', 'client+a', 'room+b', 'room-a', 'client+b', 'client-a']);
    expect(counts).toEqual([{ users: 7, connections: 9 }]);
    expect(room.occupancy).toEqual({ users: 7, connections: 9 });
  });

  it('pages presence with after until no next is left', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome();
    const room = client.room('big');
    const all = room.presence();
    await flush();
    const first = gateway.socket.last('presence')!;
    expect(first).toMatchObject({ room: 'big' });
    expect(first.after).toBeUndefined();
    gateway.socket.push({
      type: 'presence',
      id: first.id,
      room: 'big',
      users: [{ user: 'a', name: 'a', connections: 1 }],
      next: 'a',
    });
    await flush();
    const second = gateway.socket.last('presence')!;
    expect(second).toMatchObject({ after: 'a' });
    gateway.socket.push({
      type: 'presence',
      id: second.id,
      room: 'big',
      users: [{ user: 'b', name: 'b', connections: 2 }],
    });
    expect((await all).map((u) => u.user)).toEqual(['a', 'b']);
    // events are a closed map: a misspelt name does not compile
    // @ts-expect-error -- 'mesage' is not an event
    client.on('mesage', () => undefined);
  });

  it('closes when a token expires and the app gave no way to refresh it', async () => {
    const client = make({}, { token: 'fixed' } as never);
    await flush();
    gateway.socket.welcome();
    gateway.socket.drop(4001);
    expect(client.state).toBe('closed');
  });

  it('rejoins every room with since and epoch after a reconnect, and surfaces recovered:false', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome();
    const room = client.room('lobby');
    const join = room.join();
    gateway.socket.reply((f) => f.type === 'join', { room: 'lobby', seq: 2, epoch: 'e1' });
    await join;
    gateway.socket.push({ type: 'message', room: 'lobby', seq: 3, msg: 'm3', from: 'b', name: 'b', body: 3, ts: 1 });
    const recoveries: unknown[] = [];
    room.on('recovery', (r) => recoveries.push(r));
    gateway.socket.drop(1013);
    await vi.advanceTimersByTimeAsync(250);
    gateway.socket.welcome();
    expect(gateway.socket.last('join')).toMatchObject({ room: 'lobby', since: 3, epoch: 'e1' });
    gateway.socket.reply((f) => f.type === 'join', { room: 'lobby', seq: 9, epoch: 'e1', recovered: false });
    await flush();
    expect(recoveries).toEqual([{ room: 'lobby', recovered: false, epochChanged: false }]);
    expect(room.lastSeq).toBe(3); // the retained messages after 3 come next
    gateway.socket.drop(1013);
    await vi.advanceTimersByTimeAsync(250);
    gateway.socket.welcome();
    gateway.socket.reply((f) => f.type === 'join', { room: 'lobby', seq: 1, epoch: 'e2', recovered: false });
    await flush();
    expect(recoveries.at(-1)).toEqual({ room: 'lobby', recovered: false, epochChanged: true });
    expect(room.lastSeq).toBe(1);
  });

  it('queues sends while disconnected (bounded), then sends them after the rejoin with their keys', async () => {
    const client = make({ maxQueue: 2 });
    await flush();
    gateway.socket.welcome();
    const room = await joined(client, 'lobby', 0);
    const inFlight = room.send('in flight');
    const firstKey = gateway.socket.last('send')!.key;
    gateway.socket.drop(1006);
    const queued = room.send('while away');
    const overflow = room.send('one too many');
    await expect(overflow).rejects.toMatchObject({ code: 'queue_full' });
    await vi.advanceTimersByTimeAsync(1000);
    gateway.socket.welcome();
    const types = gateway.socket.sent.map((f) => `${f.type}:${String(f.body ?? f.room)}`);
    expect(types).toEqual(['join:lobby', 'send:in flight', 'send:while away']);
    expect(gateway.socket.sent[1]!.key).toBe(firstKey); // the same key: the server applies it once
    gateway.socket.reply((f) => f.type === 'join', { room: 'lobby', seq: 0, epoch: 'e1' });
    gateway.socket.reply((f) => f.body === 'in flight', { room: 'lobby', seq: 1, msg: 'a' });
    gateway.socket.reply((f) => f.body === 'while away', { room: 'lobby', seq: 2, msg: 'b' });
    expect(await inFlight).toMatchObject({ seq: 1 });
    expect(await queued).toMatchObject({ seq: 2 });
  });

  it('de-duplicates dms by msg and confirms the highest inbox seq after a burst', async () => {
    const client = make();
    const dms: string[] = [];
    client.on('dm', (d) => dms.push(d.msg));
    await flush();
    gateway.socket.welcome();
    for (const [seq, msg] of [
      [1, 'a'],
      [2, 'b'],
      [2, 'b'],
      [3, 'c'],
    ] as const) {
      gateway.socket.push({ type: 'dm', seq, msg, from: 'bob', name: 'bob', to: 'alice', body: seq, ts: 1 });
    }
    expect(dms).toEqual(['a', 'b', 'c']);
    expect(gateway.socket.last('received')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(50);
    expect(gateway.socket.sent.filter((f) => f.type === 'received')).toEqual([{ type: 'received', upTo: 3 }]);
  });

  it('pings a silent server and reconnects when it stays silent', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome('alice', 1000);
    await vi.advanceTimersByTimeAsync(2100); // silent for more than a heartbeat at the 2 s check
    expect(gateway.socket.last('ping')).toEqual({ type: 'ping' });
    await vi.advanceTimersByTimeAsync(6000);
    expect(client.state).toBe('reconnecting');
  });

  it('close() rejects what is pending and queued, and never reconnects', async () => {
    const client = make();
    await flush();
    gateway.socket.welcome();
    const pending = client.ping();
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    await expect(client.dm('bob', 1)).rejects.toMatchObject({ code: 'closed' });
    expect(gateway.socket.closedWith).toBe(1000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(gateway.sockets).toHaveLength(1);
  });

  it('checks every server frame with the parser it is given: a frame the schemas refuse is dropped and reported', async () => {
    const client = make({ parseFrame: (text) => parseServerFrame(text, { compact: true }) });
    const messages: unknown[] = [];
    const errors: Array<{ message: string }> = [];
    client.on('message', (m) => messages.push(m));
    client.on('error', (e) => errors.push(e));
    await flush();
    gateway.socket.welcome();
    await joined(client, 'lobby', 0);
    const valid = {
      type: 'message',
      room: 'lobby',
      seq: 1,
      msg: 'V1StGXR8_Z5jdHi6B-myT',
      from: 'u',
      name: 'U',
      body: 1,
      ts: 1.7e12,
    };
    gateway.socket.push({ ...valid, seq: 'one' });
    gateway.socket.push({ type: 'mystery' });
    gateway.socket.push(valid);
    expect(messages).toEqual([valid]);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^server frame refused: .*seq/),
      expect.stringMatching(/^server frame refused: /),
    ]);
  });

  it('by default reads JSON and compact arrays, and reports what is not a frame', async () => {
    const client = make();
    const errors: Array<{ message: string }> = [];
    client.on('error', (e) => errors.push(e));
    await flush();
    gateway.socket.welcome();
    gateway.socket.pushRaw('not json');
    gateway.socket.pushRaw('42');
    expect(errors.map((e) => e.message)).toEqual([
      'server frame refused: frame is not valid JSON',
      'server frame refused: frame is not an object with a type',
    ]);
    expect(parseJsonFrame('["lobby",3,"m","u","U",{"a":1},5]')).toEqual({
      ok: true,
      frame: { type: 'message', room: 'lobby', seq: 3, msg: 'm', from: 'u', name: 'U', body: { a: 1 }, ts: 5 },
    });
    expect(client.state).toBe('connected');
  });
});
