import { describe, expect, it } from 'vitest';
import { RoomPolicy } from './auth.js';

describe('RoomPolicy', () => {
  it('matches exact names and * over any run, the empty run, dots and colons included', () => {
    const policy = new RoomPolicy(['lobby', 'team:*', '*.public', 'a*b*c']);
    for (const room of ['lobby', 'team:', 'team:x.y:z', 'news.public', '.public', 'abc', 'a-b-c', 'aXbYc']) {
      expect(policy.allows(room), room).toBe(true);
    }
    for (const room of ['lobby2', 'xlobby', 'team', 'teams:x', 'public', 'ab', 'a.b.cd']) {
      expect(policy.allows(room), room).toBe(false);
    }
  });
  it('treats regex characters literally and allows nothing without patterns', () => {
    expect(new RoomPolicy(['a.b']).allows('axb')).toBe(false);
    expect(new RoomPolicy([]).allows('lobby')).toBe(false);
    expect(new RoomPolicy(['*']).allows('anything:at.all')).toBe(true);
  });
});

describe('RoomPolicy against hostile patterns', () => {
  it('answers at once for patterns full of stars that cannot match (no backtracking)', () => {
    const name = 'a'.repeat(63) + 'b';
    const policy = new RoomPolicy(['*a'.repeat(30) + '*c', 'a*'.repeat(40) + 'x']);
    // A backtracking regex takes minutes here (8 stars took 55 s); a linear matcher, microseconds.
    for (let i = 0; i < 1000; i++) expect(policy.allows(name)).toBe(false);
  });
  it('agrees with a regex on random patterns and names', () => {
    const alphabet = ['a', 'b', ':', '.', '*'];
    let seed = 7;
    const pick = () => alphabet[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length]!;
    for (let i = 0; i < 5000; i++) {
      const pattern = Array.from({ length: 1 + (i % 7) }, pick).join('');
      const room = Array.from({ length: i % 9 }, pick)
        .join('')
        .replace(/\*/g, 'a');
      const source = pattern
        .split('*')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      expect(new RoomPolicy([pattern]).allows(room), `${pattern} ~ ${room}`).toBe(
        new RegExp(`^${source}$`, 's').test(room),
      );
    }
  });
});
