// The SDK's signal helpers against the fake gateway: typing indicators, call set-up, in-band token refresh.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Calls, type CallState } from './calls.js';
import { ChorusClient } from './client.js';
import { FakeGateway } from './fake-gateway.test-support.js';
import { refreshAt, tokenExpiry } from './token-refresh.js';
import { Typing } from './typing.js';

let gateway: FakeGateway;
const flush = () => vi.advanceTimersByTimeAsync(0);
const make = (credentials: ConstructorParameters<typeof ChorusClient>[1] = { user: 'alice' }) =>
  new ChorusClient(['ws://a/ws'], credentials, { WebSocket: gateway.factory, random: () => 0.5 });
const connected = async (credentials?: ConstructorParameters<typeof ChorusClient>[1]) => {
  const client = make(credentials);
  await flush();
  gateway.socket.welcome();
  return client;
};
const signals = () => gateway.socket.sent.filter((f) => f.type === 'signal');
const ackSignals = (fields: Record<string, unknown>) => {
  for (const f of signals()) {
    if (answered.has(f.id!)) continue;
    answered.add(f.id!);
    gateway.socket.push({ type: 'ack', id: f.id, ...fields });
  }
};
let answered: Set<string>;

beforeEach(() => {
  vi.useFakeTimers();
  gateway = new FakeGateway();
  answered = new Set();
});
afterEach(() => void vi.useRealTimers());

describe('Typing', () => {
  it('sends "typing" at most once per throttle window and "stopped" after the silence', async () => {
    const client = await connected();
    const room = client.room('chat');
    const typing = new Typing(room, { throttleMs: 2_000, idleMs: 3_000 });
    for (let i = 0; i < 10; i++) {
      typing.keystroke();
      await vi.advanceTimersByTimeAsync(300); // 3 s of typing
    }
    expect(signals().map((f) => (f.body as { typing: boolean }).typing)).toEqual([true, true]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(signals().map((f) => (f.body as { typing: boolean }).typing)).toEqual([true, true, false]);
    expect(signals().every((f) => f.room === 'chat' && f.to === undefined)).toBe(true);
    typing.stop(); // already stopped: nothing more
    expect(signals()).toHaveLength(3);
  });
  it('tracks who else is typing, forgetting a typer whose stop never came', async () => {
    const client = await connected();
    const typing = new Typing(client.room('chat'), { idleMs: 1_000 });
    const changes: string[][] = [];
    typing.on('change', (who) => changes.push(who));
    const push = (from: string, on: boolean) =>
      gateway.socket.push({
        type: 'signal',
        from,
        name: from,
        room: 'chat',
        body: { kind: 'typing', typing: on },
        ts: 1,
      });
    push('bob', true);
    push('carol', true);
    push('bob', false);
    expect(typing.who).toEqual(['carol']);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(typing.who).toEqual([]);
    expect(changes).toEqual([['bob'], ['bob', 'carol'], ['carol'], []]);
  });
});

describe('Calls', () => {
  it('dial → ringing → accepted, then hung up by the other side', async () => {
    const client = await connected();
    const calls = new Calls(client);
    const dialing = calls.dial('bob');
    await flush();
    const dial = signals()[0]!;
    expect(dial).toMatchObject({ to: 'bob', body: { kind: 'call', action: 'dial' } });
    ackSignals({ online: true });
    const call = await dialing;
    const states: CallState[] = [call.state];
    call.on('state', (s) => states.push(s));
    const id = (dial.body as { call: string }).call;
    const from = (action: string) =>
      gateway.socket.push({
        type: 'signal',
        from: 'bob',
        name: 'Bob',
        to: 'alice',
        body: { kind: 'call', call: id, action },
        ts: 1,
      });
    from('called');
    from('accept');
    from('hangup');
    expect(states).toEqual(['dialing', 'ringing', 'accepted', 'hung_up']);
  });
  it('says not connected at once when nobody can ring, and unanswered after the timeout', async () => {
    const client = await connected();
    const calls = new Calls(client, { timeoutMs: 5_000 });
    const offline = calls.dial('ghost');
    await flush();
    ackSignals({ online: false });
    expect((await offline).state).toBe('not_connected');
    const ringing = calls.dial('sleepy');
    await flush();
    ackSignals({ online: true });
    const call = await ringing;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(call.state).toBe('unanswered');
    expect(signals().at(-1)).toMatchObject({ to: 'sleepy', body: { action: 'hangup' } });
  });
  it('rings an incoming call, tells the caller, and answers', async () => {
    const client = await connected();
    const calls = new Calls(client);
    const incoming: string[] = [];
    calls.on('incoming', (call) => {
      incoming.push(`${call.peer}:${call.state}`);
      void call.decline();
    });
    gateway.socket.push({
      type: 'signal',
      from: 'carol',
      name: 'C',
      to: 'alice',
      body: { kind: 'call', call: 'k1', action: 'dial' },
      ts: 1,
    });
    await flush();
    expect(incoming).toEqual(['carol:ringing']);
    expect(signals().map((f) => [f.to, (f.body as { action: string }).action])).toEqual([
      ['carol', 'called'],
      ['carol', 'decline'],
    ]);
  });
  it('refuses to dial while disconnected (a call is never queued for later)', async () => {
    const client = make();
    await flush();
    await expect(new Calls(client).dial('bob')).rejects.toMatchObject({ code: 'disconnected' });
  });
});

describe('token refresh', () => {
  const jwt = (exp: number) => `x.${btoa(JSON.stringify({ sub: 'alice', exp })).replace(/=+$/, '')}.sig`;

  it('reads exp and refreshes a minute before it (halfway for short tokens)', () => {
    expect(tokenExpiry(jwt(2_000_000_000))).toBe(2_000_000_000_000);
    expect(tokenExpiry('garbage')).toBeUndefined();
    expect(refreshAt(10_000_000, 0)).toBe(10_000_000 - 60_000);
    expect(refreshAt(60_000, 0)).toBe(30_000);
  });
  it('sends refresh with a fresh token from getToken before expiry, without reconnecting', async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = [jwt(now + 600), jwt(now + 1200)];
    const getToken = vi.fn(() => tokens.shift()!);
    const client = make({ getToken });
    await flush();
    gateway.socket.welcome('alice', 3_600_000); // a quiet server that is not considered dead meanwhile
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(539_000);
    expect(gateway.socket.sent.filter((f) => f.type === 'refresh')).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    const refresh = gateway.socket.sent.find((f) => f.type === 'refresh')!;
    expect(refresh.token).toBe(jwt(now + 1200));
    gateway.socket.push({ type: 'ack', id: refresh.id, expiresAt: (now + 1200) * 1000 });
    await flush();
    expect(gateway.sockets).toHaveLength(1); // the same socket
    expect(client.state).toBe('connected');
  });
  it('stops for good on 4003 (disconnected) and 4004 (banned)', async () => {
    for (const code of [4003, 4004]) {
      gateway = new FakeGateway();
      const client = await connected();
      gateway.socket.drop(code, 'by the server');
      await vi.advanceTimersByTimeAsync(60_000);
      expect(client.state).toBe('closed');
      expect(gateway.sockets).toHaveLength(1);
    }
  });
});
