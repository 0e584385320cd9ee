// The presence store's contract, over every driver: what a batch changes, what each mode publishes, pages.
import { describe, expect, it } from 'vitest';
import { until } from '@chorus/test-kit';
import type { Member, PresenceChange, PresencePolicy } from '../presence.js';
import { drivers } from './drivers.test-support.js';

const member = (user: string, conn: string, node = 'n1'): Member => ({ node, conn, user, name: user.toUpperCase() });
const join = (m: Member): PresenceChange => ({ join: true, member: m });
const leave = (m: Member): PresenceChange => ({ join: false, member: m });
const policy = (mode: PresencePolicy['mode']): PresencePolicy => ({ mode, eachMax: 100, batchMax: 100 });

describe.each(drivers())('presence on $name', (driver) => {
  it('a batch says what it changed; users count once whatever their connections', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    const ann1 = member('ann', 'c1');
    const ann2 = member('ann', 'c2', 'n2');
    const bo = member('bo', 'c3');
    const first = await a.presence.apply('room', [join(ann1), join(ann1), join(bo)], policy('each'));
    expect(first).toMatchObject({ changed: [true, false, true], users: 2 });
    const second = await b.presence.apply(
      'room',
      [join(ann2), leave(ann1), leave(member('zed', 'c9'))],
      policy('each'),
    );
    expect(second).toMatchObject({ changed: [true, true, false], users: 2 });
    expect(second.version).toBeGreaterThan(first.version);
    expect(await a.presence.occupancy('room')).toEqual({ users: 2, connections: 2 });
    expect(await b.presence.list('room', undefined, 10)).toEqual({
      users: [
        { user: 'ann', name: 'ANN', connections: 1 },
        { user: 'bo', name: 'BO', connections: 1 },
      ],
    });
  });

  it('lists users in id order, a page at a time', async () => {
    await using nodes = await driver.open();
    const [a] = nodes.buses;
    const users = ['u5', 'u1', 'u4', 'u2', 'u3'];
    await a.presence.apply(
      'paged',
      users.map((u, i) => join(member(u, `c${i}`))),
      policy('count'),
    );
    const page1 = await a.presence.list('paged', undefined, 2);
    expect(page1).toMatchObject({ users: [{ user: 'u1' }, { user: 'u2' }], next: 'u2' });
    const page2 = await a.presence.list('paged', page1.next, 2);
    expect(page2).toMatchObject({ users: [{ user: 'u3' }, { user: 'u4' }], next: 'u4' });
    const page3 = await a.presence.list('paged', page2.next, 2);
    expect(page3).toEqual({ users: [{ user: 'u5', name: 'U5', connections: 1 }] });
  });

  it("'each' publishes a per-user event for a user's first join and last leave, with the origin and count", async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    await b.broker.subscribeRoom('each');
    const ann = member('ann', 'c1');
    await a.presence.apply('each', [join(ann), join(member('ann', 'c2'))], policy('each'));
    const { version } = await a.presence.apply('each', [leave(ann), leave(member('ann', 'c2'))], policy('each'));
    await until('two events on node b', () => nodes.heard[1].of('roomEvent').length === 2);
    const [joined, left] = nodes.heard[1].of('roomEvent');
    expect(joined!.slice(0, 2)).toEqual(['each', 'c1']);
    expect(JSON.parse(joined![2] as string)).toMatchObject({
      type: 'user_joined',
      room: 'each',
      user: 'ann',
      name: 'ANN',
    });
    expect(joined![3]).toMatchObject({ users: 1 });
    expect(left!.slice(0, 2)).toEqual(['each', 'c2']);
    expect(JSON.parse(left![2] as string)).toMatchObject({ type: 'user_left', user: 'ann' });
    expect(left![3]).toEqual({ users: 0, version });
  });

  it("'batched' publishes one net diff per batch, and a join undone in the same batch is no news", async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    await b.broker.subscribeRoom('batched');
    const gone = member('gone', 'c0');
    await a.presence.apply('batched', [join(gone)], policy('batched'));
    const ann = member('ann', 'c1');
    await a.presence.apply(
      'batched',
      [join(ann), join(member('bo', 'c2')), leave(ann), leave(gone)],
      policy('batched'),
    );
    await until('two diffs on node b', () => nodes.heard[1].of('presenceDiff').length === 2);
    const [, second] = nodes.heard[1].of('presenceDiff');
    expect(second![0]).toBe('batched');
    expect(second![2]).toEqual({ joined: [{ user: 'bo', name: 'BO' }], left: ['gone'] });
    expect(nodes.heard[1].of('roomEvent')).toEqual([]);
  });

  it("'count' publishes the room's counts after each batch that changed it", async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    await b.broker.subscribeRoom('counted');
    await a.presence.apply('counted', [join(member('ann', 'c1')), join(member('ann', 'c2'))], policy('count'));
    const { version } = await a.presence.apply('counted', [join(member('bo', 'c3'))], policy('count'));
    await a.presence.apply('counted', [join(member('bo', 'c3'))], policy('count')); // no change: no count
    await until('two counts on node b', () => nodes.heard[1].of('occupancy').length === 2);
    expect(nodes.heard[1].of('occupancy')[1]).toEqual(['counted', { users: 2, connections: 3 }, version]);
    await a.presence.apply('counted', [leave(member('ann', 'c1'))], policy('count'));
    await until('a third count', () => nodes.heard[1].of('occupancy').length === 3);
  });
});
