import { describe, expect, it } from 'vitest';
import { MemoryHub } from './hub.js';

const options = (now: () => number) => ({
  history: () => ({ size: 100, ttlS: 60 }),
  inbox: { size: 100, ttlS: 600, unseenTtlS: 60 },
  now,
});
const listener = {
  roomMessage: () => undefined,
  roomEvent: () => undefined,
  presenceDiff: () => undefined,
  occupancy: () => undefined,
  userMessage: () => undefined,
  roomSignal: () => undefined,
  userSignal: () => undefined,
  kick: () => 0,
};

describe('MemoryHub eviction', () => {
  it('forgets rooms that were only read, and rooms and inboxes whose retention passed', async () => {
    let t = 1_000_000;
    const hub = new MemoryHub(options(() => t));
    const bus = hub.attach('n1');
    await bus.start(listener);
    for (let i = 0; i < 2_000; i++) await bus.messages.roomHistory(`unique${i}`, undefined, 50);
    for (let i = 0; i < 50; i++) await bus.messages.roomSince(`joined${i}`, 0);
    await bus.messages.publishRoom({ room: 'talk', user: 'u', key: undefined, msg: 'm', ts: t, tail: ',"x":1}' });
    await bus.messages.sendDm({ from: 'u', to: 'ghost', key: undefined, msg: 'd', ts: t, tail: ',"x":1}' });
    t += 11_000;
    hub.sweep();
    expect(hub.messages.footprint()).toEqual({ rooms: 1, inboxes: 1 });
    t += 61_000; // past the history TTL and the never-seen inbox TTL
    hub.sweep();
    expect(hub.messages.footprint()).toEqual({ rooms: 0, inboxes: 0 });
    await bus.close();
  });
  it('keeps a subscribed room, and the inbox of a user who connected, for the full TTL', async () => {
    let t = 1_000_000;
    const hub = new MemoryHub(options(() => t));
    const bus = hub.attach('n1');
    await bus.start(listener);
    await bus.broker.subscribeRoom('live');
    await bus.messages.roomSince('live', undefined);
    await bus.messages.inbox('known'); // a connection reads its inbox
    await bus.messages.sendDm({ from: 'u', to: 'known', key: undefined, msg: 'd', ts: t, tail: ',"x":1}' });
    t += 120_000;
    hub.sweep();
    expect(hub.messages.footprint()).toEqual({ rooms: 1, inboxes: 1 });
    expect((await bus.messages.inbox('known')).length).toBe(1);
    await bus.close();
  });
});
