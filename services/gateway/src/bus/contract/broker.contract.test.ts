// The broker's contract, over every driver: who hears what is published, and what the publisher learns.
import { describe, expect, it } from 'vitest';
import { until } from '@chorus/test-kit';
import { drivers } from './drivers.test-support.js';

describe.each(drivers())('broker on $name', (driver) => {
  it('a room signal reaches every node subscribed to the room, except after it unsubscribes', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    const [heardA, heardB] = nodes.heard;
    await a.broker.subscribeRoom('lobby');
    await b.broker.subscribeRoom('lobby');
    await a.broker.signalRoom('lobby', 'conn1', '{"type":"signal","n":1}');
    await until(
      'both nodes hear the signal',
      () => heardA.of('roomSignal').length + heardB.of('roomSignal').length === 2,
    );
    expect(heardB.of('roomSignal')).toEqual([['lobby', 'conn1', '{"type":"signal","n":1}']]);
    await b.broker.unsubscribeRoom('lobby');
    await a.broker.signalRoom('lobby', 'conn1', '{"type":"signal","n":2}');
    await a.broker.signalRoom('other', 'conn1', '{"type":"signal","n":3}');
    await until('node a hears the second signal', () => heardA.of('roomSignal').length === 2);
    expect(heardB.of('roomSignal')).toHaveLength(1);
    expect(heardA.of('roomSignal').map((args) => args[2])).toEqual([
      '{"type":"signal","n":1}',
      '{"type":"signal","n":2}',
    ]);
  });

  it('one channel delivers in publish order', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    await b.broker.subscribeRoom('ordered');
    await Promise.all(Array.from({ length: 200 }, (_, i) => a.broker.signalRoom('ordered', '-', `${i}`)));
    await until('all 200 signals', () => nodes.heard[1].of('roomSignal').length === 200);
    expect(nodes.heard[1].of('roomSignal').map((args) => Number(args[2]))).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('a user signal says whether any node holds the user, and reaches those that do', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    expect(await a.broker.signalUser('alice', '{"n":0}')).toBe(false);
    await b.broker.subscribeUser('alice');
    expect(await a.broker.signalUser('alice', '{"n":1}')).toBe(true);
    await until('node b hears it', () => nodes.heard[1].of('userSignal').length === 1);
    expect(nodes.heard[1].of('userSignal')).toEqual([['alice', '{"n":1}']]);
    expect(nodes.heard[0].of('userSignal')).toEqual([]);
  });

  it('userNodes counts the nodes subscribed to the user', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    expect(await a.broker.userNodes('bob')).toBe(0);
    await a.broker.subscribeUser('bob');
    expect(await a.broker.userNodes('bob')).toBe(1);
    await b.broker.subscribeUser('bob');
    expect(await b.broker.userNodes('bob')).toBe(2);
    await a.broker.unsubscribeUser('bob');
    expect(await a.broker.userNodes('bob')).toBe(1);
  });

  it('a kick reaches every node holding the user and sums what they closed', async () => {
    await using nodes = await driver.open();
    const [a, b] = nodes.buses;
    nodes.heard[0].closes = 2;
    nodes.heard[1].closes = 1;
    await a.broker.subscribeUser('carol');
    await b.broker.subscribeUser('carol');
    expect(await a.broker.kick('carol', 4003, 'bye | now')).toBe(3);
    for (const heard of nodes.heard) expect(heard.of('kick')).toEqual([['carol', 4003, 'bye | now']]);
    expect(await a.broker.kick('nobody', 4003, 'x')).toBe(0);
  });
});
