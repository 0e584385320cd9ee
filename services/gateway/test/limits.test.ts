// Bad input and limits (PROTOCOL.md §6): every error code and close code one node can be provoked into.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, TestClient, sleep, type NodeProcess } from '@chorus/test-kit';

describe('bad input on one node', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ MAX_ROOMS: '3', MAX_FRAME_BYTES: '4096', MAX_BODY_BYTES: '1024' });
  });
  afterAll(() => node?.kill());
  const connect = (user = 'alice') => TestClient.connect(node.url, { user });

  it('names each problem: bad_json, bad_frame (with the field), too_large', async () => {
    await using c = await connect();
    const cases: Array<[string, string, RegExp?]> = [
      ['{not json', 'bad_json'],
      ['[1,2]', 'bad_frame', /frame/],
      ['"text"', 'bad_frame', /frame/],
      ['{"type":"teleport"}', 'bad_frame', /type/],
      ['{"room":"x"}', 'bad_frame', /type/],
      ['{"type":"join"}', 'bad_frame', /room/],
      ['{"type":"join","room":"bad room"}', 'bad_frame', /room/],
      ['{"type":"join","room":"ok","since":-1}', 'bad_frame', /since/],
      ['{"type":"join","room":"ok","since":1.5}', 'bad_frame', /since/],
      ['{"type":"join","room":"ok","since":1e400}', 'bad_frame', /since/],
      ['{"type":"send","room":"ok"}', 'bad_frame', /body/],
      ['{"type":"history","room":"ok","limit":201}', 'bad_frame', /limit/],
      ['{"type":"history","room":"ok","limit":0}', 'bad_frame', /limit/],
      ['{"type":"dm","to":"","body":1}', 'bad_frame', /to/],
      ['{"type":"send","room":"ok","body":1,"key":""}', 'bad_frame', /key/],
      ['{"type":"received","upTo":"3"}', 'bad_frame', /upTo/],
      [`{"type":"echo","body":${'['.repeat(33)}${']'.repeat(33)}}`, 'bad_frame', /body/],
      [`{"type":"echo","body":"${'x'.repeat(1100)}"}`, 'too_large', /body/],
    ];
    for (const [text, code, field] of cases) {
      c.sendRaw(text);
      const reply = await c.next((f) => f.type === 'error', 2_000, c.frames.length);
      expect(reply, text).toMatchObject({ code });
      expect(reply.id, text).toBeUndefined();
      if (field) expect(reply.message, text).toMatch(field);
    }
    expect((await c.ok({ type: 'echo', body: `${'['.repeat(32)}` })).type).toBe('echo');
    const deep32 = JSON.parse(`${'['.repeat(32)}${']'.repeat(32)}`);
    expect(await c.ok({ type: 'echo', body: deep32 })).toMatchObject({ body: deep32 });
  });

  it('an error carries the id when the frame had a valid one, and not when the id itself is bad', async () => {
    await using c = await connect();
    c.sendRaw('{"type":"join","id":"a1"}');
    expect(await c.next((f) => f.type === 'error')).toMatchObject({ id: 'a1', code: 'bad_frame' });
    let from = c.frames.length;
    c.sendRaw(JSON.stringify({ type: 'ping', id: 'x'.repeat(65) }));
    const bad = await c.next((f) => f.type === 'error', 2_000, from);
    expect(bad).toMatchObject({ code: 'bad_frame' });
    expect(bad.id).toBeUndefined();
    expect(bad.message).toMatch(/id/);
    from = c.frames.length;
    c.sendRaw(JSON.stringify({ type: 'ping', id: 7 }));
    expect((await c.next((f) => f.type === 'error', 2_000, from)).id).toBeUndefined();
  });

  it('checks in order: too_large before forbidden/not_member; not_member before the bus', async () => {
    await using c = await connect();
    expect(await c.request({ type: 'send', room: 'nowhere', body: 'x'.repeat(2000) })).toMatchObject({
      code: 'too_large',
    });
    expect(await c.request({ type: 'send', room: 'nowhere', body: 1 })).toMatchObject({ code: 'not_member' });
  });

  it('answers a binary frame with bad_frame', async () => {
    await using c = await connect();
    c.sendRaw(Buffer.from([1, 2, 3]), true);
    expect(await c.next((f) => f.type === 'error')).toMatchObject({
      code: 'bad_frame',
      message: expect.stringMatching(/binary/),
    });
  });

  it('hostile strings and values are data, nothing more', async () => {
    await using c = await connect();
    const hostile = [
      '{"type":"echo","body":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}',
      '{"type":"echo","body":1e400}',
      '{"type":"echo","body":123456789012345678901234567890}',
      '{"type":"echo","body":"\\u0000\\ud800 <script>"}',
      '{"type":"echo","__proto__":{"id":"zzz"},"body":null}',
    ];
    for (const text of hostile) c.sendRaw(text);
    await c.collect((f) => f.type === 'echo', hostile.length);
    const echoes = c.frames.filter((f) => f.type === 'echo');
    expect(echoes[0]!.body).toEqual(JSON.parse(hostile[0]!).body);
    expect(echoes[1]!.body).toBeNull(); // JSON has no Infinity: it serializes as null
    expect(echoes[4]).toEqual({ type: 'echo', body: null });
    expect(await c.ok({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('too_many_rooms past maxRooms; re-joining a joined room is not counted twice', async () => {
    await using c = await connect();
    for (const room of ['r1', 'r2', 'r3']) await c.ok({ type: 'join', room });
    await c.ok({ type: 'join', room: 'r2' });
    expect(await c.request({ type: 'join', room: 'r4' })).toMatchObject({ code: 'too_many_rooms' });
    await c.ok({ type: 'leave', room: 'r1' });
    await c.ok({ type: 'join', room: 'r4' });
  });

  it('closes with 1009 on a frame over maxFrameBytes, and others are unaffected', async () => {
    await using other = await connect('bystander');
    await using c = await connect();
    c.sendRaw(JSON.stringify({ type: 'echo', body: 'x'.repeat(5000) }));
    expect((await c.closed).code).toBe(1009);
    expect(await other.ok({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });

  it('closes with 1008 at the 20th bad frame within a minute', async () => {
    await using c = await connect();
    for (let i = 0; i < 19; i++) c.sendRaw('nope');
    await c.collect((f) => f.type === 'error', 19);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.sendRaw('nope');
    expect((await c.closed).code).toBe(1008);
  });

  it('a node survives a burst of garbage from many clients and keeps serving', async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => connect(`g${i}`)));
    for (const c of clients) for (let i = 0; i < 15; i++) c.sendRaw(i % 2 ? '\u0000\uffff' : '{"type":{"$ne":1}}');
    await sleep(200);
    await using fresh = await connect('fresh');
    expect(await fresh.ok({ type: 'ping' })).toMatchObject({ type: 'pong' });
    for (const c of clients) c.close();
    expect((await fetch(`${node.http}/healthz`)).status).toBe(200);
  });
});

describe('rate limits', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ RATE_PER_SEC: '5' });
  });
  afterAll(() => node?.kill());

  it('a bucket of 2 × rate: frames past it get rate_limited (with id), at most one a second without', async () => {
    await using c = await TestClient.connect(node.url, { user: 'fast' });
    for (let i = 0; i < 14; i++) c.sendRaw(JSON.stringify({ type: 'ping', id: `p${i}` }));
    await c.collect((f) => 'id' in f, 14);
    const replies = c.frames.filter((f) => 'id' in f);
    expect(replies.filter((f) => f.type === 'pong').length).toBeGreaterThanOrEqual(10);
    expect(replies.filter((f) => f.type === 'pong').length).toBeLessThanOrEqual(11);
    const limited = replies.filter((f) => f.type === 'error');
    expect(limited.length).toBeGreaterThanOrEqual(3);
    expect(limited[0]).toMatchObject({ code: 'rate_limited' });
    const before = c.frames.length;
    for (let i = 0; i < 10; i++) c.sendRaw(JSON.stringify({ type: 'ping' }));
    await sleep(150);
    const anonymous = c.frames.slice(before).filter((f) => f.type === 'error' && !('id' in f));
    expect(anonymous).toHaveLength(1);
    await sleep(1200);
    expect(await c.ok({ type: 'ping' })).toMatchObject({ type: 'pong' }); // tokens come back
  });

  it('closes with 1008 after 10 s rate limited in a row; a polite client is untouched', async () => {
    await using polite = await TestClient.connect(node.url, { user: 'polite' });
    await using c = await TestClient.connect(node.url, { user: 'flooder' });
    const started = Date.now();
    const flood = setInterval(() => {
      for (let i = 0; i < 20; i++) c.sendRaw('{"type":"ping"}');
    }, 50);
    const { code } = await c.closed;
    clearInterval(flood);
    expect(code).toBe(1008);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
    expect(await polite.ok({ type: 'ping' })).toMatchObject({ type: 'pong' });
  }, 20_000);
});

describe('per-user budgets', () => {
  it('reconnecting does not refill the rate limit, and connecting too fast is refused with 429', async () => {
    await using node = await startNode({ RATE_PER_SEC: '5', USER_RATE_PER_SEC: '5', USER_CONNECTS_PER_SEC: '2' });
    const first = await TestClient.connect(node.url, { user: 'churner' });
    for (let i = 0; i < 10; i++) expect(await first.ok({ type: 'ping' })).toMatchObject({ type: 'pong' });
    first.close();
    await first.closed;
    await using second = await TestClient.connect(node.url, { user: 'churner' });
    expect(await second.request({ type: 'ping' })).toMatchObject({ type: 'error', code: 'rate_limited' });
    await using other = await TestClient.connect(node.url, { user: 'bystander' });
    expect(await other.ok({ type: 'ping' })).toMatchObject({ type: 'pong' }); // budgets are per user
    // 'churner' has spent 2 of its 4 connects; the 5th within the second is refused
    await using third = await TestClient.connect(node.url, { user: 'churner' });
    await using fourth = await TestClient.connect(node.url, { user: 'churner' });
    const refused = await TestClient.connect(node.url, { user: 'churner' }).catch((err: { status: number }) => err);
    expect(refused).toMatchObject({ status: 429 });
    expect(third.frames[0]).toMatchObject({ type: 'welcome' });
    expect(fourth.frames[0]).toMatchObject({ type: 'welcome' });
  });
  it('a user closed with 1008 too often is refused at the upgrade until it cools down; others are not', async () => {
    await using node = await startNode({ POLICY_CLOSES_PER_MIN: '2' });
    for (let strike = 0; strike < 2; strike++) {
      await using c = await TestClient.connect(node.url, { user: 'vandal' });
      for (let i = 0; i < 20; i++) c.sendRaw('not json');
      expect((await c.closed).code).toBe(1008);
    }
    const refused = await TestClient.connect(node.url, { user: 'vandal' }).catch((err: { status: number }) => err);
    expect(refused).toMatchObject({ status: 429 });
    await using other = await TestClient.connect(node.url, { user: 'citizen' });
    expect(await other.ok({ type: 'ping' })).toMatchObject({ type: 'pong' });
  });
});

describe('keepalive and slow consumers', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({ HEARTBEAT_MS: '300', MAX_BACKPRESSURE_BYTES: '65536', RATE_PER_SEC: '100000' });
  });
  afterAll(() => node?.kill());

  it('pings every heartbeat; a client that answers stays connected', async () => {
    await using c = await TestClient.connect(node.url, { user: 'alive' });
    expect(c.frames[0]).toMatchObject({ heartbeatMs: 300 });
    await sleep(1_500);
    expect(c.pings).toBeGreaterThanOrEqual(3);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('cuts a connection silent for two heartbeats (the client sees 1006)', async () => {
    await using c = await TestClient.connect(node.url, { user: 'silent', silent: true });
    const started = Date.now();
    expect((await c.closed).code).toBe(1006);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('closes a slow consumer with 1013 instead of skipping messages; it recovers everything with since', async () => {
    // A paused client cannot answer pings either: give it a heartbeat long enough to show backpressure.
    await using node = await startNode({ MAX_BACKPRESSURE_BYTES: '65536', RATE_PER_SEC: '100000' });
    const room = 'busy';
    await using sender = await TestClient.connect(node.url, { user: 'sender' });
    await using slow = await TestClient.connect(node.url, { user: 'slow' });
    await sender.ok({ type: 'join', room });
    await slow.ok({ type: 'join', room });
    slow.ws.pause();
    const body = 'y'.repeat(900);
    let sent = 0;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && sent < 40_000) {
      for (let i = 0; i < 100; i++) sender.sendRaw(JSON.stringify({ type: 'send', room, body }));
      sent += 100;
      await sleep(20);
      if (
        sent % 1000 === 0 &&
        ((await fetch(`${node.http}/stats`).then((r) => r.json())) as { connections: number }).connections < 2
      )
        break;
    }
    slow.ws.resume();
    const { code } = await slow.closed;
    expect(code).toBe(1013);
    const got = slow.messages(room).map((f) => f.seq as number);
    expect(got).toEqual(got.map((_, i) => i + 1)); // what it did get is a gap-free prefix
    await using back = await TestClient.connect(node.url, { user: 'slow' });
    const ack = await back.ok({ type: 'join', room, since: got.length });
    const latest = ack.seq as number;
    const missed = await back.collect((f) => f.type === 'message', latest - got.length, 10_000);
    expect(missed.map((f) => f.seq)).toEqual(Array.from({ length: latest - got.length }, (_, i) => got.length + i + 1));
  }, 40_000);
});
