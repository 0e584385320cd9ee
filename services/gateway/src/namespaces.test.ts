import { describe, expect, it } from 'vitest';
import { Namespaces } from './namespaces.js';

const base = { presence: 'each', history: 1000, historyTtlS: 86_400, publish: 'members', signals: true } as const;

describe('Namespaces', () => {
  it('picks the options by the part before the first colon; unknown and bare rooms get the default', () => {
    const ns = new Namespaces(base, {
      '*': { history: 500 },
      live: { presence: 'batched' },
      ann: { presence: 'count', publish: 'server', signals: false },
    });
    expect(ns.of('lobby')).toMatchObject({ presence: 'each', history: 500 });
    expect(ns.of('live:match-1')).toMatchObject({ presence: 'batched', history: 500, publish: 'members' });
    expect(ns.of('live:a:b')).toMatchObject({ presence: 'batched' });
    expect(ns.of('ann:news')).toMatchObject({ presence: 'count', publish: 'server', signals: false });
    expect(ns.of('other:x')).toBe(ns.defaults);
    expect(ns.of(':x')).toBe(ns.defaults);
    expect(Object.isFrozen(ns.of('live:x'))).toBe(true);
  });
});
