// Presence and signals in room feeds across nodes on one memory hub: per-user events that arrive late (a member
// hears only of changes after its own join), joiners that hear of changes during their join, the windows of
// batched diffs and counts, and room signals. Timers are faked; nothing sleeps.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HubCluster, settle } from './harness.js';

const framesOf = (got: string[], type: string) =>
  got.map((t) => JSON.parse(t) as Record<string, unknown>).filter((f) => f.type === type);

describe('presence in room feeds on a hub', () => {
  beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }));
  afterEach(() => void vi.useRealTimers());

  it('a late per-user event reaches the members who joined before it, not one whose presence already had it', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const early = b.connect('early');
    await b.join(early, 'late');
    cluster.hub.hold('b'); // ann's join event is late to b
    await a.join(a.connect('ann'), 'late');
    const newcomer = b.connect('newcomer'); // its presence (and `presence` list) already has ann
    await b.join(newcomer, 'late');
    cluster.hub.release('b');
    await settle();
    expect(framesOf(early.got, 'user_joined').map((f) => f.user)).toEqual(['ann', 'newcomer']);
    expect(framesOf(newcomer.got, 'user_joined')).toEqual([]);
  });

  it('a joiner hears of the changes after its own presence write, after its ack and never of itself', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    await b.join(b.connect('member'), 'during'); // b listens to the room
    cluster.hub.hold('b');
    await a.send('during', 1); // stored; its delivery to b is late, so a joiner on b waits for it
    const joiner = b.connect('joiner');
    const joined = b.join(joiner, 'during', { since: 0 });
    await settle();
    await a.join(a.connect('carl'), 'during'); // after the joiner's presence write
    cluster.hub.release('b');
    await joined;
    expect(joiner.types()).toEqual(['message', 'user_joined']);
    expect(framesOf(joiner.got, 'user_joined')[0]).toMatchObject({ user: 'carl' });
  });

  it('a batched room sends one diff per window to the members of every node, netting joins that left', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const watcher = b.connect('watcher');
    await b.join(watcher, 'batched:hall');
    vi.advanceTimersByTime(100);
    watcher.got.length = 0;
    const ann = a.connect('ann');
    await a.join(ann, 'batched:hall');
    await a.join(a.connect('bo'), 'batched:hall');
    await a.leave(ann, 'batched:hall');
    expect(framesOf(watcher.got, 'presence_diff')).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(framesOf(watcher.got, 'presence_diff')).toEqual([
      { type: 'presence_diff', room: 'batched:hall', joined: [{ user: 'bo', name: 'bo' }], left: [] },
    ]);
  });

  it('the only cause of a window does not hear of itself', async () => {
    await using cluster = new HubCluster();
    const a = cluster.node('a');
    const watcher = a.connect('watcher');
    await a.join(watcher, 'batched:self');
    vi.advanceTimersByTime(100);
    const ann = a.connect('ann');
    await a.join(ann, 'batched:self');
    vi.advanceTimersByTime(50);
    expect(framesOf(watcher.got, 'presence_diff')).toHaveLength(1);
    expect(framesOf(ann.got, 'presence_diff')).toEqual([]);
  });

  it('a counted room sends the counts, at most one per window, the newest at its end', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const watcher = b.connect('watcher');
    await b.join(watcher, 'count:arena');
    vi.advanceTimersByTime(100);
    watcher.got.length = 0;
    for (const user of ['u1', 'u2', 'u3']) await a.join(a.connect(user), 'count:arena');
    vi.advanceTimersByTime(50);
    const counts = framesOf(watcher.got, 'occupancy');
    expect(counts.length).toBeLessThanOrEqual(2);
    expect(counts.at(-1)).toMatchObject({ users: 4, connections: 4 });
  });

  it('a room signal reaches the members of every node except its sender', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const [ann, al] = [a.connect('ann'), a.connect('al')];
    const bob = b.connect('bob');
    for (const [node, socket] of [
      [a, ann],
      [a, al],
      [b, bob],
    ] as const)
      await node.join(socket, 'signals');
    await a.bus.broker.signalRoom('signals', ann.connId, '{"type":"signal","from":"ann"}');
    expect(framesOf(al.got, 'signal')).toHaveLength(1);
    expect(framesOf(bob.got, 'signal')).toHaveLength(1);
    expect(framesOf(ann.got, 'signal')).toEqual([]);
  });
});
