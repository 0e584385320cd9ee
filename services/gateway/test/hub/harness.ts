// Gateway nodes in one process on one memory hub: each node's feeds as the gateway builds them, with sockets
// that record what they are sent. Everything is synchronous or a microtask away, so a test drives the order
// of events itself (the hub's faults) and settles with `settle()`, never with a timer.
import { pino } from 'pino';
import { CLOSE, expandCompactMessage } from '@chorus/protocol';
import type { PresencePolicy, UserCount } from '../../src/bus/presence.js';
import { MemoryHub, type MemoryBus } from '../../src/bus/memory/hub.js';
import { Feeds } from '../../src/delivery/feeds.js';
import type { JoinRequest, JoinResult, RoomMember } from '../../src/delivery/room-feed.js';
import { Namespaces, type RoomOptions } from '../../src/namespaces.js';
import { dmTail, messageTail } from '../../src/outbound.js';
import type { Connection } from '../../src/transport/transport.js';

const ROOM_OPTIONS: RoomOptions = {
  presence: 'each',
  history: 100,
  historyTtlS: 60,
  publish: 'members',
  signals: true,
};
/** Rooms `batched:…` and `count:…` announce presence in those modes (§10.2); every other room per user. */
const NAMESPACES = new Namespaces(ROOM_OPTIONS, { batched: { presence: 'batched' }, count: { presence: 'count' } });
const modeOf = (room: string): PresencePolicy['mode'] => {
  const mode = NAMESPACES.of(room).presence;
  return mode === 'off' ? 'count' : mode;
};

/** Lets every pending promise chain run to its end (the hub has no timers of its own). */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

export class HubCluster {
  /** The hub's clock: tests move it to expire rooms. */
  now = 1_700_000_000_000;
  readonly hub: MemoryHub;
  private readonly nodes = new Map<string, HubNode>();

  constructor(history = { size: 100, ttlS: 60 }) {
    this.hub = new MemoryHub({
      history: () => history,
      inbox: { size: 100, ttlS: 600, unseenTtlS: 60 },
      now: () => this.now,
    });
  }

  node(id: string): HubNode {
    let node = this.nodes.get(id);
    if (!node) this.nodes.set(id, (node = new HubNode(id, this.hub.attach(id), () => this.now)));
    return node;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const node of this.nodes.values()) await node.bus.close();
  }
}

export class HubNode {
  readonly feeds: Feeds;
  private readonly topics = new Map<string, Set<Socket>>();
  private readonly sockets = new Map<string, Socket>();
  private conns = 0;

  constructor(
    readonly id: string,
    readonly bus: MemoryBus,
    private readonly now: () => number,
  ) {
    this.feeds = new Feeds({
      bus,
      publish: (topic, frame) => this.publish(topic, frame),
      subscribers: (topic) => this.subscribersOf(topic).size,
      memberById: (id) => this.sockets.get(id),
      kick: () => 0,
      namespaces: NAMESPACES,
      presence: { batchMs: 50, eachMax: 100 },
      log: pino({ level: 'silent' }),
      gatherMs: 0, // a recovering join reads at once: the test orders events itself
    });
    void bus.start(this.feeds);
  }

  subscribersOf(topic: string): Set<Socket> {
    let set = this.topics.get(topic);
    if (!set) this.topics.set(topic, (set = new Set()));
    return set;
  }

  private publish(topic: string, frame: string): number {
    const subscribers = this.subscribersOf(topic);
    for (const socket of subscribers) socket.got.push(frame);
    return subscribers.size;
  }

  /** A socket of `user` on this node (no inbox opened: see `open`). */
  connect(user: string, compact = false): Socket {
    const socket = new Socket(`${this.id}-c${++this.conns}`, user, this, compact);
    this.sockets.set(socket.connId, socket);
    return socket;
  }

  /** Joins `socket` to `room` as the join handler does: presence alongside the feed's read. */
  join(socket: Socket, room: string, request: Partial<JoinRequest> = {}): Promise<JoinResult> {
    const member = { node: this.id, conn: socket.connId, user: socket.user, name: socket.user };
    const policy = { mode: modeOf(room), eachMax: 100, batchMax: 100 };
    const presence: Promise<UserCount> = this.bus.presence
      .apply(room, [{ join: true, member }], policy)
      .then(({ users, version }) => ({ users, version }));
    presence.catch(() => undefined); // awaited by the feed; a failure surfaces there (as in the join handler)
    let ack: JoinResult | undefined;
    return this.feeds
      .room(room)
      .join(socket, { since: request.since, epoch: request.epoch }, presence, (result) => (ack = result))
      .then(() => ack!);
  }

  /** Leaves `room` as the leave handler does: the feed here, then presence. */
  async leave(socket: Socket, room: string): Promise<void> {
    this.feeds.existingRoom(room)?.leave(socket);
    const member = { node: this.id, conn: socket.connId, user: socket.user, name: socket.user };
    await this.bus.presence.apply(room, [{ join: false, member }], { mode: modeOf(room), eachMax: 100, batchMax: 100 });
  }

  /** Opens the user's inbox on this socket, as a connection does at welcome. */
  open(socket: Socket): Promise<void> {
    return this.feeds.user(socket.user).open(socket.conn);
  }

  /** A member sends to a room from this node: returns the seq. */
  async send(room: string, n: number, user = 'sender'): Promise<number> {
    const tail = messageTail(room, `m${n}`, user, user, `{"n":${n}}`, this.now());
    const { reply } = await this.bus.messages.publishRoom({
      room,
      user,
      key: undefined,
      msg: `m${n}`,
      ts: this.now(),
      tail,
    });
    return (reply as { seq: number }).seq;
  }

  async dm(to: string, n: number, from = 'sender'): Promise<boolean> {
    const tail = dmTail(`d${n}`, from, from, to, `{"n":${n}}`, this.now());
    const { reply } = await this.bus.messages.sendDm({ from, to, key: undefined, msg: `d${n}`, ts: this.now(), tail });
    return (reply as { online: boolean }).online;
  }
}

/** A client socket: the frames it was sent, and how it was closed. */
export class Socket implements RoomMember {
  readonly got: string[] = [];
  closedWith: number | undefined;
  readonly conn: Connection & { closed: boolean };

  constructor(
    readonly connId: string,
    readonly user: string,
    node: HubNode,
    compact: boolean,
  ) {
    this.conn = {
      closed: false,
      compact,
      send: (text) => {
        if (this.conn.closed) return false;
        this.got.push(text);
        return true;
      },
      close: (code) => this.close(code),
      cut: () => this.close(1006),
      ping: () => undefined,
      bufferedAmount: () => 0,
      subscribe: (topic) => void node.subscribersOf(topic).add(this),
      unsubscribe: (topic) => void node.subscribersOf(topic).delete(this),
      publishExceptSelf: (topic, text) => {
        for (const s of node.subscribersOf(topic)) if (s !== this) s.got.push(text);
      },
    };
  }

  close(code: number): void {
    this.closedWith = code;
    this.conn.closed = true;
  }

  get retried(): boolean {
    return this.closedWith === CLOSE.tryAgainLater;
  }

  private frames(): Array<Record<string, unknown>> {
    return this.got.map((t) => (t.startsWith('[') ? { ...expandCompactMessage(JSON.parse(t))! } : JSON.parse(t)));
  }

  /** The seqs of the room messages it got, in order. */
  seqs(): number[] {
    return this.frames()
      .filter((f) => f.type === 'message')
      .map((f) => f.seq as number);
  }

  /** The seqs of the dms it got, in order. */
  dms(): number[] {
    return this.frames()
      .filter((f) => f.type === 'dm')
      .map((f) => f.seq as number);
  }

  types(): string[] {
    return this.frames().map((f) => f.type as string);
  }
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
