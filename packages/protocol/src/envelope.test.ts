import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseClientFrame,
  parseServerFrame,
  peekRequestId,
  serverFrame,
  CLIENT_FRAME_TYPES,
  type ClientFrame,
} from './envelope.js';
import { nestsDeeperThan, utf8Length } from './body.js';
import { compactMessage, expandCompactMessage } from './compact.js';
import { ERRORS, ERROR_CODES } from './errors.js';
import { CLOSE, closeAdvice } from './close-codes.js';
import { protocolJsonSchema } from './json-schema.js';

const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/);
const reqId = fc.string({ minLength: 1, maxLength: 64 });
const seq = fc.nat({ max: Number.MAX_SAFE_INTEGER });
const body = fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const validFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc.record({
    type: fc.constant('join' as const),
    id: opt(reqId),
    room: id,
    since: opt(seq),
    epoch: opt(fc.string({ minLength: 1, maxLength: 64 })),
  }),
  fc.record({ type: fc.constant('leave' as const), id: opt(reqId), room: id }),
  fc.record({
    type: fc.constant('send' as const),
    id: opt(reqId),
    room: id,
    body,
    key: opt(fc.string({ minLength: 1, maxLength: 64 })),
  }),
  fc.record({
    type: fc.constant('dm' as const),
    id: opt(reqId),
    to: id,
    body,
    key: opt(fc.string({ minLength: 1, maxLength: 64 })),
  }),
  fc.record({ type: fc.constant('received' as const), id: opt(reqId), upTo: seq }),
  fc.record({
    type: fc.constant('history' as const),
    id: opt(reqId),
    room: id,
    before: opt(seq),
    limit: opt(fc.integer({ min: 1, max: 200 })),
  }),
  fc.record({ type: fc.constant('presence' as const), id: opt(reqId), room: id }),
  fc.record({ type: fc.constant('ping' as const), id: opt(reqId) }),
  fc.record({ type: fc.constant('echo' as const), id: opt(reqId), body }),
);
const dropUndefined = <T extends object>(frame: T): T => JSON.parse(JSON.stringify(frame)) as T;

describe('parseClientFrame', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const result = parseClientFrame(text);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary JSON, and every failure has a catalogued code and a message', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.dictionary(fc.constantFrom('type', 'id', 'room', 'body', 'since', '__proto__', 'to'), fc.jsonValue()),
        ),
        (value) => {
          const result = parseClientFrame(JSON.stringify(value));
          if (!result.ok) {
            expect(ERROR_CODES).toContain(result.code);
            expect(result.message.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts and round-trips every valid frame', () => {
    fc.assert(
      fc.property(validFrame, (frame) => {
        const expected = dropUndefined(frame);
        const result = parseClientFrame(JSON.stringify(frame), 1 << 20);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(dropUndefined(result.frame)).toEqual(expected);
        if ('body' in expected) expect(JSON.parse(result.bodyJson!)).toEqual(expected.body);
      }),
      { numRuns: 1000 },
    );
  });

  it('checks in protocol order and names the field', () => {
    expect(parseClientFrame('nope')).toMatchObject({ ok: false, code: 'bad_json' });
    expect(parseClientFrame('null')).toMatchObject({ ok: false, code: 'bad_frame' });
    expect(parseClientFrame('{"type":"join","id":"x"}')).toMatchObject({
      ok: false,
      code: 'bad_frame',
      id: 'x',
      message: expect.stringMatching(/^room/),
    });
    expect(parseClientFrame('{"type":"join","id":""}')).toEqual({
      ok: false,
      code: 'bad_frame',
      message: expect.stringMatching(/^id/),
    });
    const big = JSON.stringify({ type: 'send', room: 'r', body: 'é'.repeat(9000) });
    expect(parseClientFrame(big, 16384)).toMatchObject({ ok: false, code: 'too_large' });
    const deep = `{"type":"echo","body":${'['.repeat(33)}${']'.repeat(33)}}`;
    expect(parseClientFrame(deep)).toMatchObject({
      ok: false,
      code: 'bad_frame',
      message: expect.stringMatching(/^body/),
    });
    expect(parseClientFrame(`{"type":"echo","body":${'['.repeat(20000)}${']'.repeat(20000)}}`)).toMatchObject({
      code: 'bad_frame',
    });
  });

  it('lists every client frame type', () => {
    expect(CLIENT_FRAME_TYPES.sort()).toEqual([
      'dm',
      'echo',
      'history',
      'join',
      'leave',
      'occupancy',
      'ping',
      'presence',
      'received',
      'refresh',
      'send',
      'signal',
    ]);
  });
});

describe('parseServerFrame', () => {
  it('accepts what a gateway sends and never throws on garbage', () => {
    const welcome = {
      type: 'welcome',
      conn: 'a'.repeat(21),
      user: 'u',
      name: 'U',
      node: 'n1',
      heartbeatMs: 25000,
      limits: { maxFrameBytes: 65536, maxBodyBytes: 16384, ratePerSec: 50, maxRooms: 100 },
    };
    expect(parseServerFrame(JSON.stringify(welcome))).toEqual({ ok: true, frame: welcome });
    expect(parseServerFrame('{"type":"error","code":"nope","message":"x"}').ok).toBe(false);
    fc.assert(fc.property(fc.string(), (s) => void parseServerFrame(s)));
  });
});

describe('body measures', () => {
  it('utf8Length agrees with Buffer.byteLength on well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(utf8Length(s)).toBe(Buffer.byteLength(s));
      }),
    );
  });
  it('nestsDeeperThan counts containers, not scalars', () => {
    expect(nestsDeeperThan(1, 0)).toBe(false);
    expect(nestsDeeperThan([], 0)).toBe(true);
    expect(nestsDeeperThan({ a: [{}] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [{}] }, 2)).toBe(true);
  });
});

describe('catalogues', () => {
  it('every error code has a message and a retry flag; close advice follows the codes', () => {
    for (const code of ERROR_CODES) expect(ERRORS[code].message.length).toBeGreaterThan(0);
    expect(closeAdvice(CLOSE.serviceRestart)).toBe('reconnect-now');
    expect(closeAdvice(CLOSE.tokenExpired)).toBe('refresh-token');
    expect(closeAdvice(CLOSE.policy)).toBe('stop');
    expect(closeAdvice(1006)).toBe('reconnect-backoff');
  });
  it('exports a JSON Schema for both directions', () => {
    const schema = protocolJsonSchema() as { $defs: Record<string, { oneOf?: unknown[]; anyOf?: unknown[] }> };
    expect((schema.$defs.ClientFrame!.oneOf ?? schema.$defs.ClientFrame!.anyOf)!.length).toBe(
      CLIENT_FRAME_TYPES.length,
    );
    expect((schema.$defs.ServerFrame!.oneOf ?? schema.$defs.ServerFrame!.anyOf)!.length).toBe(
      serverFrame.options.length,
    );
  });
});

describe('peekRequestId', () => {
  it('finds a valid id however the key is spelled, and nothing otherwise', () => {
    expect(peekRequestId('{"type":"send","id":"a1"}')).toBe('a1');
    expect(peekRequestId('{"type":"send","\\u0069d":"a2"}')).toBe('a2');
    expect(peekRequestId('{"type":"send","id":""}')).toBeUndefined();
    expect(peekRequestId('{"type":"send","body":"x"}')).toBeUndefined();
    expect(peekRequestId('not json "id"')).toBeUndefined();
  });
});

describe('the compact encoding (§10.7)', () => {
  const v1 = {
    type: 'message',
    room: 'lobby',
    seq: 7,
    msg: 'V1StGXR8_Z5jdHi6B-myT',
    from: 'alice',
    name: 'Alice',
    body: { text: 'hi', n: [1, null] },
    ts: 1_700_000_000_000,
  };
  it('round-trips a message frame, value for value', () => {
    const compact = compactMessage(JSON.stringify(v1))!;
    expect(compact).toBe(
      '["lobby",7,"V1StGXR8_Z5jdHi6B-myT","alice","Alice",{"text":"hi","n":[1,null]},1700000000000]',
    );
    expect(expandCompactMessage(JSON.parse(compact))).toEqual(v1);
    expect(parseServerFrame(compact, { compact: true })).toMatchObject({ ok: true, frame: v1 });
  });
  it('leaves what is not a whole message frame alone, and refuses malformed arrays', () => {
    for (const text of ['not json', '{"type":"ack"}', JSON.stringify({ ...v1, room: undefined }), '[]'])
      expect(compactMessage(text)).toBeUndefined();
    for (const value of [[], ['lobby', '7', 'm', 'a', 'A', 1, 1], ['lobby', 7, 'm', 'a', 'A', 1], { 0: 'x' }])
      expect(expandCompactMessage(value)).toBeUndefined();
    expect(parseServerFrame('[1,2]', { compact: true })).toMatchObject({ ok: false, code: 'bad_frame' });
    expect(parseServerFrame('[1,2]')).toMatchObject({ ok: false });
  });
});
