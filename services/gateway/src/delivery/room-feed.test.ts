// RoomFeed in one process against a scripted bus: the order guarantees of PROTOCOL.md §3 and the presence rules of
// §10.2, each case deterministic (reads resolve when the test says so; no sleeps).
import { describe, expect, it } from 'vitest';
import { CLOSE, expandCompactMessage } from '@chorus/protocol';
import type { Bus, RoomRead } from '../bus/bus.js';
import type { RoomOptions } from '../namespaces.js';
import type { Connection } from '../transport/transport.js';
import { RoomFeed, type FeedHost, type RoomMember } from './room-feed.js';

const options: RoomOptions = { presence: 'each', history: 100, historyTtlS: 60, publish: 'members', signals: true };
const frame = (seq: number) =>
  `{"type":"message","seq":${seq},"room":"lobby","msg":"m${seq}","from":"u","name":"U","body":{"n":${seq}},"ts":1700000000000}`;

/** The stream as the bus holds it, reads that the test releases, and a uWS topic's subscribers. */
class World {
  epoch = 'E1';
  seq = 0;
  log: number[] = [];
  reads: Array<{ since: number | undefined; epoch: string | undefined; release: () => void }> = [];
  autoRelease = true;
  readonly topics = new Map<string, Set<FakeMember>>();
  subscribersOf(topic: string): Set<FakeMember> {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    return set;
  }
  readonly idle: RoomFeed[] = [];

  readonly host: FeedHost = {
    bus: {
      broker: { subscribeRoom: async () => undefined, unsubscribeRoom: async () => undefined },
      messages: {
        roomSince: (_room: string, since: number | undefined, epoch?: string) =>
          new Promise<RoomRead>((resolve) => {
            const release = () => {
              const readable = since !== undefined && (epoch === undefined || epoch === this.epoch);
              const messages = readable
                ? this.log.filter((s) => s > since).map((s) => ({ seq: s, frame: frame(s) }))
                : [];
              const complete =
                since === undefined ||
                (readable && since <= this.seq && (since === this.seq || messages[0]?.seq === since + 1));
              resolve({ epoch: this.epoch, seq: this.seq, messages, complete });
            };
            if (this.autoRelease) release();
            else this.reads.push({ since, epoch, release });
          }),
      },
    } as unknown as Bus,
    presenceWindowMs: 50,
    presenceEachMax: 3,
    publish: (topic, text) => {
      for (const m of this.subscribersOf(topic)) m.got.push(text);
      return this.subscribersOf(topic).size;
    },
    subscribers: (topic) => this.subscribersOf(topic).size,
    idle: (feed) => void this.idle.push(feed),
  };

  /** A message stored and published by the bus. */
  publish(feed: RoomFeed, deliver = true): number {
    this.log.push(++this.seq);
    if (deliver) feed.onMessage(this.seq, this.epoch, frame(this.seq));
    return this.seq;
  }
}

class FakeMember implements RoomMember {
  readonly got: string[] = [];
  closedWith: number | undefined;
  readonly conn: Connection;
  constructor(
    readonly connId: string,
    world: World,
    compact = false,
  ) {
    this.conn = {
      closed: false,
      compact,
      send: (text: string) => {
        this.got.push(text);
        return true;
      },
      close: () => undefined,
      cut: () => undefined,
      ping: () => undefined,
      bufferedAmount: () => 0,
      subscribe: (topic: string) => void world.subscribersOf(topic).add(this),
      unsubscribe: (topic: string) => void world.subscribersOf(topic).delete(this),
      publishExceptSelf: (topic: string, text: string) => {
        for (const m of world.subscribersOf(topic)) if (m !== this) m.got.push(text);
      },
    };
  }
  close(code: number): void {
    this.closedWith = code;
    (this.conn as { closed: boolean }).closed = true;
  }
  seqs(): number[] {
    return this.got.flatMap((t) => {
      if (t.startsWith('[')) return [expandCompactMessage(JSON.parse(t))!.seq];
      return t.startsWith('{"type":"message"') ? [JSON.parse(t).seq as number] : [];
    });
  }
}

const setup = () => {
  const world = new World();
  const feed = new RoomFeed('lobby', options, world.host);
  return { world, feed };
};
const join = (feed: RoomFeed, member: FakeMember, since?: number, epoch?: string, presenceVersion = 0) => {
  const acks: Array<Record<string, unknown>> = [];
  const done = feed.join(member, { since, epoch }, Promise.resolve({ users: 1, version: presenceVersion }), (r) => {
    acks.push({ ...r });
  });
  return { acks, done };
};
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('RoomFeed joins', () => {
  it('a join without since starts after the latest seq; live messages follow in order', async () => {
    const { world, feed } = setup();
    world.publish(feed, false);
    world.publish(feed, false);
    const a = new FakeMember('a', world);
    const { acks, done } = join(feed, a);
    await done;
    expect(acks).toEqual([{ room: 'lobby', seq: 2, epoch: 'E1' }]);
    world.publish(feed);
    world.publish(feed);
    expect(a.seqs()).toEqual([3, 4]);
  });

  it('replays after since, then the frames that arrived during the read: no gap, no duplicate', async () => {
    const { world, feed } = setup();
    for (let i = 0; i < 5; i++) world.publish(feed, false);
    const first = new FakeMember('first', world);
    await join(feed, first).done;
    world.autoRelease = false;
    const late = new FakeMember('late', world);
    const { acks, done } = join(feed, late, 2, 'E1');
    await flush(); // the shared read gathers recovering joins for a moment
    await new Promise((r) => setTimeout(r, 30));
    // while the read is in flight, two more messages go live
    world.publish(feed);
    world.publish(feed);
    world.reads.shift()!.release();
    await done;
    expect(acks[0]).toMatchObject({ seq: 7, recovered: true });
    expect(late.seqs()).toEqual([3, 4, 5, 6, 7]);
    world.publish(feed);
    expect(late.seqs()).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('frames that arrive before the first read are held, then delivered after it', async () => {
    const { world, feed } = setup();
    world.autoRelease = false;
    const a = new FakeMember('a', world);
    const { done } = join(feed, a);
    await flush();
    world.publish(feed); // seq 1: the node has not read where the room is yet
    world.seq = 1;
    world.reads.shift()!.release(); // the read says seq 1 …
    await done;
    world.publish(feed); // … and seq 2 follows
    expect(a.seqs()).toEqual([2]);
  });

  it('a wrong epoch replays nothing and says recovered:false', async () => {
    const { world, feed } = setup();
    for (let i = 0; i < 3; i++) world.publish(feed, false);
    const a = new FakeMember('a', world);
    const { acks, done } = join(feed, a, 1, 'old-epoch');
    await done;
    expect(acks[0]).toMatchObject({ seq: 3, recovered: false });
    expect(a.seqs()).toEqual([]);
  });

  it('a member that joins again is answered at the head read, with nothing replayed', async () => {
    const { world, feed } = setup();
    const a = new FakeMember('a', world);
    await join(feed, a).done;
    world.publish(feed);
    world.autoRelease = false;
    const rejoined = feed.rejoin(a, { since: 0, epoch: 'E1' });
    await Promise.resolve();
    // only the room's head: a read with no since returns no messages
    expect(world.reads.map((r) => r.since)).toEqual([undefined]);
    world.reads.shift()!.release();
    expect(await rejoined).toEqual({ room: 'lobby', seq: 1, epoch: 'E1', recovered: true });
    expect(a.seqs()).toEqual([1]);
  });
});

describe('RoomFeed with both encodings (§10.7)', () => {
  it('a compact and a v1 member share a room: each gets every message once in its encoding, events once', async () => {
    const { world, feed } = setup();
    for (let i = 0; i < 3; i++) world.publish(feed, false);
    const v1 = new FakeMember('v1', world);
    const compact = new FakeMember('compact', world, true);
    await join(feed, v1).done;
    await join(feed, compact, 1, 'E1').done; // replays 2 and 3, compact
    world.publish(feed);
    feed.onSignal('v1', '{"type":"signal","room":"lobby"}', v1);
    feed.onSignal('x', '{"type":"signal","room":"lobby"}', undefined);
    expect(v1.got).toEqual([frame(4), '{"type":"signal","room":"lobby"}']);
    expect(compact.seqs()).toEqual([2, 3, 4]);
    expect(compact.got.filter((t) => t.startsWith('{'))).toEqual([
      '{"type":"signal","room":"lobby"}',
      '{"type":"signal","room":"lobby"}',
    ]);
    // the compact form carries the v1 frame's values, in order, without its keys
    expect(compact.got[2]).toBe('["lobby",4,"m4","u","U",{"n":4},1700000000000]');
    expect(expandCompactMessage(JSON.parse(compact.got[2]!))).toEqual({ ...JSON.parse(frame(4)) });
    // a room with no compact member never transcodes: nothing is published on the compact topic
    feed.leave(compact);
    const before = world.subscribersOf(feed.compactTopic).size;
    world.publish(feed);
    expect(before).toBe(0);
    expect(compact.seqs()).toEqual([2, 3, 4]);
  });

  it('a frame that is not a whole message goes to compact members as it is (they read v1 too)', async () => {
    const { world, feed } = setup();
    const compact = new FakeMember('compact', world, true);
    await join(feed, compact).done;
    world.log.push(++world.seq);
    feed.onMessage(world.seq, world.epoch, '{"type":"message","seq":1}');
    expect(compact.got).toEqual(['{"type":"message","seq":1}']);
  });
});

describe('RoomFeed gaps and restarts', () => {
  it('fills a gap from the stream, in order', async () => {
    const { world, feed } = setup();
    const a = new FakeMember('a', world);
    await join(feed, a).done;
    world.publish(feed);
    world.publish(feed, false); // lost on pub/sub
    world.publish(feed, false);
    world.publish(feed); // seq 4 arrives: 2 and 3 are read back
    await flush();
    expect(a.seqs()).toEqual([1, 2, 3, 4]);
  });

  it('reads what was missed after a bus interruption', async () => {
    const { world, feed } = setup();
    const a = new FakeMember('a', world);
    await join(feed, a).done;
    world.publish(feed, false);
    world.publish(feed, false);
    feed.resync();
    await flush();
    expect(a.seqs()).toEqual([1, 2]);
  });

  it('a new epoch closes every member with 1013 so it rejoins with since', async () => {
    const { world, feed } = setup();
    const a = new FakeMember('a', world);
    await join(feed, a).done;
    world.epoch = 'E2';
    world.seq = 0;
    world.publish(feed);
    expect(a.closedWith).toBe(CLOSE.tryAgainLater);
    expect(world.idle).toContain(feed);
  });

  it('a sequence that went back (lost writes) closes members instead of reusing seqs', async () => {
    const { world, feed } = setup();
    const a = new FakeMember('a', world);
    for (let i = 0; i < 3; i++) world.publish(feed, false);
    await join(feed, a).done;
    world.seq = 1; // the bus lost seqs 2 and 3
    world.log = [1];
    feed.resync();
    await flush();
    expect(a.closedWith).toBe(CLOSE.tryAgainLater);
  });
});

describe('RoomFeed presence', () => {
  const joined = (user: string) => `{"type":"user_joined","room":"lobby","user":"${user}","name":"${user}"}`;

  it('tells members only of changes after their own join, and nothing past the valve', async () => {
    const { world, feed } = setup();
    const early = new FakeMember('early', world);
    await join(feed, early, undefined, undefined, 1).done;
    feed.noteUsers({ users: 1, version: 1 });
    const late = new FakeMember('late', world);
    await join(feed, late, undefined, undefined, 3).done;
    feed.noteUsers({ users: 2, version: 3 });
    feed.onUserEvent('x', joined('x'), undefined, 2); // happened before `late` joined
    feed.onUserEvent('y', joined('y'), undefined, 4); // after both
    expect(early.got.filter((t) => t.includes('user_joined'))).toEqual([joined('x'), joined('y')]);
    expect(late.got.filter((t) => t.includes('user_joined'))).toEqual([joined('y')]);
    feed.noteUsers({ users: 4, version: 5 }); // past PRESENCE_EACH_MAX (3): counts only
    feed.onUserEvent('z', joined('z'), undefined, 6);
    expect(early.got.filter((t) => t.includes('"z"'))).toEqual([]);
    feed.noteUsers({ users: 2, version: 4 }); // older news does not undo newer
    feed.onUserEvent('w', joined('w'), undefined, 7);
    expect(early.got.filter((t) => t.includes('"w"'))).toEqual([]);
  });

  it('merges a window of diffs, cancelling joined-then-left, and spares a sole origin its own news', async () => {
    const { world, feed } = setup();
    const a = new FakeMember('a', world);
    const b = new FakeMember('b', world);
    await join(feed, a).done;
    await join(feed, b).done;
    feed.onDiff(['c1'], {
      joined: [
        { user: 'u', name: 'U' },
        { user: 'blip', name: 'B' },
      ],
      left: [],
    });
    feed.onDiff(['c2'], { joined: [], left: ['blip', 'gone'] });
    await new Promise((r) => setTimeout(r, 80));
    const diffs = a.got.filter((t) => t.includes('presence_diff')).map((t) => JSON.parse(t));
    expect(diffs).toEqual([
      { type: 'presence_diff', room: 'lobby', joined: [{ user: 'u', name: 'U' }], left: ['gone'] },
    ]);
    // a window whose only change came from member b: b does not hear of it, a does
    feed.onDiff(['b'], { joined: [{ user: 'bee', name: 'Bee' }], left: [] });
    await new Promise((r) => setTimeout(r, 80));
    expect(a.got.filter((t) => t.includes('bee'))).toHaveLength(1);
    expect(b.got.filter((t) => t.includes('bee'))).toEqual([]);
    feed.stop();
  });
});
