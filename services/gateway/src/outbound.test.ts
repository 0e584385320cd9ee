// Frames built by string assembly (the hot path) are checked against the protocol's zod schemas.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, parseServerFrame } from '@chorus/protocol';
import * as out from './outbound.js';

const msg = 'm'.repeat(21);
const body = JSON.stringify({ text: 'hé "quoted" \u2028 ✓', n: [1, 2, { deep: null }] });
const frames: Array<[string, string]> = [
  ['message', out.sequenced(out.MESSAGE_HEAD, 7, out.messageTail('room:a', msg, 'alice', 'Alice "A"', body, 1700))],
  ['dm', out.sequenced(out.DM_HEAD, 3, out.dmTail(msg, 'alice', 'Alice', 'bob', body, 1700))],
  ['ack', out.ack('r1', { room: 'lobby', seq: 3, epoch: 'e' })],
  ['ack', out.ack(undefined, { expiresAt: 1700 })],
  ['error', out.error('r2', 'forbidden', 'no "way"')],
  ['error', out.error(undefined, 'unauthorized', 'x')],
  ['welcome', out.welcome('c'.repeat(21), 'alice', 'Alice', 'n1', 25_000, DEFAULT_LIMITS)],
  ['pong', out.pong('p')],
  ['echo', out.echo(undefined, body)],
  [
    'history',
    out.history('h', 'lobby', 'e', [
      out.sequenced(out.MESSAGE_HEAD, 1, out.messageTail('lobby', msg, 'a', 'a', '1', 1)),
    ]),
  ],
  ['presence', out.presence('q', 'lobby', [{ user: 'a', name: 'A', connections: 2 }], { next: 'a' })],
  ['presence', out.presence(undefined, 'ann:x', [], { count: 12 })],
  ['occupancy', out.occupancy(undefined, 'lobby', { users: 3, connections: 4 })],
  ['presence_diff', out.presenceDiff('live:x', [{ user: 'a', name: 'A' }], ['b'])],
  ['user_joined', out.userJoined('lobby', 'a', 'A')],
  ['user_left', out.userLeft('lobby', 'a')],
  ['signal', out.signal('a', 'A', { to: 'b' }, body, 1700)],
  ['signal', out.signal('a', 'A', { room: 'lobby' }, body, 1700)],
  ['reconnect', out.reconnect()],
];

describe('outbound frames', () => {
  it.each(frames)('a %s frame is a valid server frame', (type, text) => {
    const parsed = parseServerFrame(text);
    expect(parsed, text).toMatchObject({ ok: true, frame: { type } });
  });
  it('keeps the body exactly as measured', () => {
    const parsed = parseServerFrame(frames[0]![1]);
    expect(parsed.ok && (parsed.frame as { body: unknown }).body).toEqual(JSON.parse(body));
  });
});
