// The registry's contract, over every driver: live nodes, their biggest rooms summed, leases that run out.
import { describe, expect, it } from 'vitest';
import { until } from '@chorus/test-kit';
import type { NodeAnnouncement } from '../registry.js';
import { drivers } from './drivers.test-support.js';

const stats = (node: string): NodeAnnouncement => ({
  node,
  connections: 3,
  users: 2,
  rooms: 1,
  inPerSec: 0,
  outPerSec: 0,
  startedAt: 1,
});

describe.each(drivers())('registry on $name', (driver) => {
  it('lists the nodes that announced, sums their rooms, and forgets a node whose lease ran out', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    await a.registry.announce(stats('n1'), 60_000, [
      { room: 'big', connections: 5 },
      { room: 'small', connections: 1 },
    ]);
    await b.registry.announce(stats('n2'), 300, [
      { room: 'big', connections: 4 },
      { room: 'mid', connections: 3 },
    ]);
    expect((await b.registry.nodes()).map((n) => n.node).sort()).toEqual(['n1', 'n2']);
    expect(await a.registry.topRooms(2)).toEqual([
      { room: 'big', connections: 9 },
      { room: 'mid', connections: 3 },
    ]);
    await until('n2 to be forgotten', async () => (await a.registry.nodes()).length === 1, 3_000);
    expect(await a.registry.nodes()).toEqual([stats('n1')]);
    expect(await a.registry.topRooms(10)).toEqual([
      { room: 'big', connections: 5 },
      { room: 'small', connections: 1 },
    ]);
  });
});
