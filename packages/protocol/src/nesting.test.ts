import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from './body.js';
import { parseClientFrame, peekRequestId } from './envelope.js';
import { pruneNesting } from './nesting.js';

describe('pruneNesting', () => {
  it('leaves JSON no deeper than max untouched, and cuts deeper JSON to exactly max + 1', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 10 }), fc.integer({ min: 0, max: 8 }), (value, max) => {
        const text = JSON.stringify(value);
        const pruned = pruneNesting(text, max);
        if (!nestsDeeperThan(value, max)) {
          expect(pruned).toEqual({ text, deep: false });
        } else {
          expect(pruned!.deep).toBe(true);
          const parsed: unknown = JSON.parse(pruned!.text);
          expect(nestsDeeperThan(parsed, max)).toBe(true);
          expect(nestsDeeperThan(parsed, max + 1)).toBe(false);
        }
      }),
    );
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[[{{{{\\"[[[[', b: ['"]]]]'] });
    expect(pruneNesting(text, 2)).toEqual({ text, deep: false });
  });

  it('gives up on a deep container that never closes: the text is not JSON', () => {
    expect(pruneNesting(`{"body":${'['.repeat(50)}`, 33)).toBeUndefined();
  });

  it('never throws on any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.nat(40), (text, max) => void pruneNesting(text, max)));
  });

  it('prunes a 5,000-deep body so that parsing still refuses it, with the id and the protocol message', () => {
    const deep = `{"type":"echo","id":"d1","body":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(parseClientFrame(deep)).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'body: nests deeper than 32 levels',
      id: 'd1',
    });
    expect(peekRequestId(deep)).toBe('d1');
  });

  it('judges depth by the body alone, as before pruning: a deep unknown field is dropped, not refused', () => {
    const text = `{"type":"echo","id":"e1","body":1,"extra":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(parseClientFrame(text)).toMatchObject({ ok: true, frame: { type: 'echo', id: 'e1', body: 1 } });
  });

  it('parses as JSON.parse would for every frame within the protocol depth', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.string({ minLength: 1, maxLength: 8 }), (body, id) => {
        const text = JSON.stringify({ type: 'echo', id, body });
        const parsed = JSON.parse(text) as { body: unknown }; // not `body` itself: -0 comes back as 0
        expect(parseClientFrame(text)).toMatchObject({ ok: true, frame: { type: 'echo', id, body: parsed.body } });
      }),
    );
  });
});
