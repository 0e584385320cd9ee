// RoomFeed across nodes on one memory hub, with the faults of a real bus: early frames, joins overtaken by live
// messages, lost and reordered pub/sub, a cut link, a new epoch, lost writes. Deterministic: no timers.
import { describe, expect, it, vi } from 'vitest';
import { CLOSE } from '@chorus/protocol';
import { HubCluster, range, settle } from './harness.js';

describe('room feeds on a hub', () => {
  it('a message sent on one node reaches the members on every node once, in both encodings', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const onA = a.connect('ann');
    const onB = b.connect('bob');
    const compactOnB = b.connect('cy', true);
    for (const [node, socket] of [
      [a, onA],
      [b, onB],
      [b, compactOnB],
    ] as const)
      await node.join(socket, 'lobby');
    for (let n = 1; n <= 5; n++) await a.send('lobby', n);
    for (const socket of [onA, onB, compactOnB]) expect(socket.seqs()).toEqual(range(1, 5));
    expect(compactOnB.got.filter((f) => f.startsWith('['))).toHaveLength(5);
    expect(onB.got.filter((f) => f.startsWith('['))).toHaveLength(0);
  });

  it('frames that arrive before the first read are held, then delivered after the read without a duplicate', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    await a.send('early', 1);
    const bob = b.connect('bob');
    cluster.hub.stall('b'); // b's read runs now (seq 1) but its reply comes late
    const joined = b.join(bob, 'early', { since: 0 });
    await settle();
    for (let n = 2; n <= 4; n++) await a.send('early', n); // reach b live, before its read
    cluster.hub.resume('b');
    const ack = await joined;
    expect(ack).toMatchObject({ seq: 1, recovered: true });
    expect(bob.seqs()).toEqual(range(1, 4));
    await a.send('early', 5);
    expect(bob.seqs()).toEqual(range(1, 5));
  });

  it('a joiner gets the replay, then what arrived during its join, while members go on live', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const member = b.connect('member');
    await b.join(member, 'busy');
    for (let n = 1; n <= 3; n++) await a.send('busy', n);
    const joiner = b.connect('joiner');
    cluster.hub.stall('b');
    const joined = b.join(joiner, 'busy', { since: 1 });
    await settle();
    for (let n = 4; n <= 6; n++) await a.send('busy', n);
    expect(member.seqs()).toEqual(range(1, 6)); // never waits for the joiner
    expect(joiner.seqs()).toEqual([]);
    cluster.hub.resume('b');
    expect(await joined).toMatchObject({ seq: 3, recovered: true });
    expect(joiner.seqs()).toEqual(range(2, 6));
    await a.send('busy', 7);
    expect(joiner.seqs()).toEqual(range(2, 7));
  });

  it('lost pub/sub messages are read back from the log, in order', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.join(bob, 'lossy');
    await a.send('lossy', 1);
    cluster.hub.drop('b', 2);
    for (let n = 2; n <= 5; n++) await a.send('lossy', n);
    await settle();
    expect(bob.seqs()).toEqual(range(1, 5));
  });

  it('reordered pub/sub messages are delivered in seq order', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.join(bob, 'shuffled');
    cluster.hub.hold('b');
    for (let n = 1; n <= 4; n++) await a.send('shuffled', n);
    cluster.hub.release('b', (held) => [...held].reverse());
    await settle();
    expect(bob.seqs()).toEqual(range(1, 4));
  });

  it('after a cut link comes back, the node reads what it missed and members continue without a gap', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.join(bob, 'cut');
    await a.send('cut', 1);
    cluster.hub.cut('b');
    expect(b.bus.connected).toBe(false);
    for (let n = 2; n <= 4; n++) await a.send('cut', n);
    await expect(b.send('cut', 99)).rejects.toMatchObject({ code: 'unavailable' });
    expect(bob.seqs()).toEqual([1]);
    cluster.hub.restore('b');
    await settle();
    expect(bob.seqs()).toEqual(range(1, 4));
    await a.send('cut', 5);
    expect(bob.seqs()).toEqual(range(1, 5));
    expect(bob.closedWith).toBeUndefined();
  });

  it('a join while the link is cut fails as unavailable and leaves nothing behind', async () => {
    await using cluster = new HubCluster();
    const b = cluster.node('b');
    const bob = b.connect('bob');
    cluster.hub.cut('b');
    await expect(b.join(bob, 'nowhere')).rejects.toMatchObject({ code: 'unavailable' });
    expect(b.feeds.roomCount).toBe(0);
  });

  it('a room that started over in a new epoch closes its members with 1013, so they rejoin with since', async () => {
    await using cluster = new HubCluster({ size: 100, ttlS: 60 });
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    const first = await b.join(bob, 'epochs');
    await a.send('epochs', 1);
    cluster.now += 61_000; // the room outlived its history: its sequence starts over
    await a.send('epochs', 2);
    await settle();
    expect(bob.closedWith).toBe(CLOSE.tryAgainLater);
    const again = b.connect('bob');
    const rejoined = await b.join(again, 'epochs', { since: 1, epoch: first.epoch });
    expect(rejoined.epoch).not.toBe(first.epoch);
    expect(rejoined).toMatchObject({ seq: 1, recovered: false });
    expect(again.seqs()).toEqual([]);
  });

  it('a sequence that went back (writes lost in a Redis restart) closes members instead of reusing seqs', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.join(bob, 'rolled');
    for (let n = 1; n <= 5; n++) await a.send('rolled', n);
    cluster.hub.cut('b');
    cluster.hub.messages.rollBack('rolled', 2);
    cluster.hub.restore('b');
    await settle();
    expect(bob.seqs()).toEqual(range(1, 5));
    expect(bob.closedWith).toBe(CLOSE.tryAgainLater);
    const again = b.connect('bob');
    expect(await b.join(again, 'rolled', { since: 5 })).toMatchObject({ seq: 3, recovered: false });
  });

  it("a member that joins again is answered at the room's latest seq once its node delivered it, with no replay", async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    const first = await b.join(bob, 'again');
    await a.send('again', 1);
    cluster.hub.hold('b'); // seq 2 is stored and acked, but its pub/sub message is late
    await a.send('again', 2);
    let answer: unknown;
    const rejoined = Promise.resolve(b.feeds.room('again').rejoin(bob, { since: 0, epoch: first.epoch })).then(
      (r) => (answer = r),
    );
    await settle();
    expect(answer).toBeUndefined(); // the room is at 2; this node has delivered 1
    cluster.hub.release('b');
    await rejoined;
    expect(answer).toEqual({ room: 'again', seq: 2, epoch: first.epoch, recovered: true });
    expect(bob.seqs()).toEqual([1, 2]); // each once: nothing replayed
  });

  it('members on another node hear of a join, and the joiner does not hear of its own', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const ann = a.connect('ann');
    await a.join(ann, 'hello');
    const bob = b.connect('bob');
    await b.join(bob, 'hello');
    await settle();
    expect(ann.types()).toContain('user_joined');
    expect(bob.types()).not.toContain('user_joined');
  });

  it('a compact joiner gets its replay and its live messages as arrays', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    for (let n = 1; n <= 3; n++) await a.send('arrays', n);
    const cy = b.connect('cy', true);
    await b.join(cy, 'arrays', { since: 0 });
    await a.send('arrays', 4);
    expect(cy.seqs()).toEqual(range(1, 4));
    expect(cy.got.filter((f) => f.startsWith('['))).toHaveLength(4);
  });

  it("a join whose read is ahead of the node's live feed waits for the feed, then continues without a gap", async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const member = b.connect('member');
    await b.join(member, 'ahead');
    cluster.hub.hold('b'); // stored, but its pub/sub message is late
    await a.send('ahead', 1);
    await a.send('ahead', 2);
    const joiner = b.connect('joiner');
    const joined = b.join(joiner, 'ahead', { since: 0 });
    await settle();
    expect(joiner.got).toEqual([]); // its read saw seq 2; the feed here is at 0
    cluster.hub.release('b');
    expect(await joined).toMatchObject({ seq: 2, recovered: true });
    expect(joiner.seqs()).toEqual([1, 2]);
    expect(member.seqs()).toEqual([1, 2]);
  });

  it('a join that waits for a message lost on the way re-reads the log after a second', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      await using cluster = new HubCluster();
      const [a, b] = [cluster.node('a'), cluster.node('b')];
      const member = b.connect('member');
      await b.join(member, 'lost');
      cluster.hub.drop('b', 1);
      await a.send('lost', 1);
      const joiner = b.connect('joiner');
      const joined = b.join(joiner, 'lost', { since: 0 });
      await settle();
      expect(joiner.got).toEqual([]);
      vi.advanceTimersByTime(1_000);
      await settle();
      expect(await joined).toMatchObject({ seq: 1 });
      expect(joiner.seqs()).toEqual([1]);
      expect(member.seqs()).toEqual([1]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a joiner whose socket closes during the join is not made a member', async () => {
    await using cluster = new HubCluster();
    const b = cluster.node('b');
    const bob = b.connect('bob');
    cluster.hub.stall('b');
    const joined = b.join(bob, 'gone');
    await settle();
    bob.close(1001);
    cluster.hub.resume('b');
    await expect(joined).rejects.toMatchObject({ code: 'unavailable' });
    expect(b.feeds.existingRoom('gone')).toBeUndefined();
  });

  it('a member that leaves hears nothing more; the last one out makes the node stop listening', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const [bob, cy] = [b.connect('bob'), b.connect('cy')];
    await b.join(bob, 'leaving');
    await b.join(cy, 'leaving');
    await a.send('leaving', 1);
    await b.leave(bob, 'leaving');
    await a.send('leaving', 2);
    expect(bob.seqs()).toEqual([1]);
    expect(cy.seqs()).toEqual([1, 2]);
    expect(await b.feeds.room('leaving').rejoin(bob, { since: 1, epoch: undefined })).toBeUndefined();
    await b.leave(cy, 'leaving');
    await settle();
    expect(b.feeds.existingRoom('leaving')).toBeUndefined();
    expect(b.feeds.roomCount).toBe(0);
  });

  it('a join that finds the room in a new epoch restarts the members already there', async () => {
    await using cluster = new HubCluster({ size: 100, ttlS: 60 });
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const old = b.connect('old');
    await b.join(old, 'renewed');
    await a.send('renewed', 1);
    cluster.now += 61_000;
    const fresh = b.connect('fresh');
    const ack = await b.join(fresh, 'renewed');
    expect(ack).toMatchObject({ seq: 0 });
    expect(old.closedWith).toBe(CLOSE.tryAgainLater);
    await a.send('renewed', 2);
    expect(fresh.seqs()).toEqual([1]);
  });

  it('a rejoin without since is answered with the position only', async () => {
    await using cluster = new HubCluster();
    const b = cluster.node('b');
    const bob = b.connect('bob');
    const { epoch } = await b.join(bob, 'position');
    expect(await b.feeds.room('position').rejoin(bob, { since: undefined, epoch: undefined })).toEqual({
      room: 'position',
      seq: 0,
      epoch,
    });
  });

  it('a gap that cannot be filled (the link fails during the read) restarts the room', async () => {
    await using cluster = new HubCluster();
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const bob = b.connect('bob');
    await b.join(bob, 'unfillable');
    cluster.hub.drop('b', 1);
    cluster.hub.hold('b');
    await a.send('unfillable', 1); // lost
    await a.send('unfillable', 2); // late
    cluster.hub.cut('b');
    cluster.hub.release('b'); // seq 2 shows the gap; the read to fill it fails
    await settle();
    expect(bob.seqs()).toEqual([]);
    expect(bob.closedWith).toBe(CLOSE.tryAgainLater);
  });

  it('a restart while a joiner waits for the feed to catch up closes the joiner too', async () => {
    await using cluster = new HubCluster({ size: 100, ttlS: 60 });
    const [a, b] = [cluster.node('a'), cluster.node('b')];
    const member = b.connect('member');
    await b.join(member, 'restarting');
    cluster.hub.hold('b');
    await a.send('restarting', 1);
    const joiner = b.connect('joiner');
    const joined = b.join(joiner, 'restarting', { since: 0 });
    await settle();
    cluster.now += 61_000;
    await a.send('restarting', 2); // a new epoch
    cluster.hub.release('b');
    await expect(joined).rejects.toMatchObject({ code: 'unavailable' });
    expect(joiner.closedWith).toBe(CLOSE.tryAgainLater);
    expect(member.closedWith).toBe(CLOSE.tryAgainLater);
  });
});
