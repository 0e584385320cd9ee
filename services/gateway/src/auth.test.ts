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
