// UserFeed across nodes on one memory hub: the inbox at connect, dms that arrive while it is read, a user on
// several nodes, and dms sent while a node was cut from the bus. Deterministic: no timers.
import { describe, expect, it } from 'vitest';
import { HubCluster, range, settle } from './harness.js';

describe('user feeds on a hub', () => {
  it('a connection gets the unconfirmed inbox oldest first, then live dms', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    for (let n = 1; n <= 3; n++) expect(await a.dm('bob', n)).toBe(false); // nobody holds bob yet
    const bob = b.connect('bob');
    await b.open(bob);
    expect(bob.dms()).toEqual(range(1, 3));
    expect(await a.dm('bob', 4)).toBe(true);
    expect(bob.dms()).toEqual(range(1, 4));
  });

  it('dms that arrive while the inbox is read follow it, each once', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    await a.dm('bob', 1);
    const bob = b.connect('bob');
    cluster.hub.stall('b'); // the inbox read runs now, its reply comes after the next dms
    const opened = b.open(bob);
    await settle();
    for (let n = 2; n <= 3; n++) await a.dm('bob', n);
    expect(bob.dms()).toEqual([]);
    cluster.hub.resume('b');
    await opened;
    expect(bob.dms()).toEqual(range(1, 3));
  });

  it('a second connection of the user on the same node gets the inbox too, and both get live dms', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    await a.dm('bob', 1);
    const phone = b.connect('bob');
    await b.open(phone);
    const laptop = b.connect('bob');
    await b.open(laptop);
    await a.dm('bob', 2);
    expect(phone.dms()).toEqual([1, 2]);
    expect(laptop.dms()).toEqual([1, 2]);
  });

  it('a user on two nodes gets every dm on both', async () => {
    await using cluster = new HubCluster();
    const [a, b, c] = [cluster.node('a'), cluster.node('b'), cluster.node('c')];
    const onA = a.connect('bob');
    const onB = b.connect('bob');
    await a.open(onA);
    await b.open(onB);
    for (let n = 1; n <= 3; n++) await c.dm('bob', n);
    expect(onA.dms()).toEqual(range(1, 3));
    expect(onB.dms()).toEqual(range(1, 3));
    expect(await c.bus.broker.userNodes('bob')).toBe(2);
  });

  it('dms sent while the node was cut are read from the inbox when the link is back', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.open(bob);
    await a.dm('bob', 1);
    cluster.hub.cut('b');
    expect(await a.dm('bob', 2)).toBe(false); // no node holds bob now
    await a.dm('bob', 3);
    cluster.hub.restore('b');
    await settle();
    expect(bob.dms()).toEqual(range(1, 3));
  });

  it('a lost dm is not seen until the next resync; then it comes once, and later dms keep their order', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.open(bob);
    cluster.hub.drop('b', 1);
    await a.dm('bob', 1);
    expect(bob.dms()).toEqual([]);
    cluster.hub.cut('b');
    cluster.hub.restore('b');
    await settle();
    await a.dm('bob', 2);
    expect(bob.dms()).toEqual([1, 2]);
  });

  it('a signal reaches the open connections and is never stored', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.open(bob);
    expect(await a.bus.broker.signalUser('bob', '{"type":"signal","from":"ann"}')).toBe(true);
    expect(bob.types()).toEqual(['signal']);
    const later = b.connect('bob');
    await b.open(later);
    expect(later.got).toEqual([]);
  });

  it('when the last connection closes the node stops listening for the user', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.open(bob);
    b.feeds.releaseUser('bob');
    await settle();
    expect(await a.bus.broker.userNodes('bob')).toBe(0);
    expect(b.feeds.userCount).toBe(0);
  });

  it('a dm that arrives between subscribing and reading the inbox is sent once', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    const opened = b.open(bob); // subscribed at once; the inbox read comes after this dm
    await a.dm('bob', 1);
    await opened;
    expect(bob.dms()).toEqual([1]);
  });

  it('an open that fails while the link is cut is retried in full by the next connection', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    await a.dm('bob', 1);
    cluster.hub.cut('b');
    const first = b.connect('bob');
    await expect(b.open(first)).rejects.toMatchObject({ code: 'unavailable' });
    b.feeds.releaseUser('bob');
    cluster.hub.restore('b');
    const second = b.connect('bob');
    await b.open(second);
    expect(second.dms()).toEqual([1]);
    expect(b.feeds.connectionsOf('bob')).toBe(1);
  });
});
