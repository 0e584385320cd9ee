// A room handle: join/leave/send/history/presence, its own events, and the last seq it has seen.
import type {
  JoinAck,
  MessageFrame,
  OccupancyReply,
  PresenceDiff,
  PresenceReply,
  PresenceUser,
  SendAck,
  SignalDelivery,
  UserJoined,
  UserLeft,
} from '@chorus/protocol';
import { Emitter } from './emitter.js';

// A type, not an interface: no index signature, so a misspelt event name does not compile.
export type RoomEvents = {
  message: MessageFrame;
  /** A user's first connection in the room: from `user_joined`, or from a `presence_diff` (batched rooms). */
  user_joined: UserJoined;
  /** A user's last connection out: from `user_left`, or from a `presence_diff`. */
  user_left: UserLeft;
  /** A signal to the room from another connection (typing indicators). */
  signal: SignalDelivery;
  /** The room's counts: counted rooms, and rooms past their presence valve (PROTOCOL.md §10.2). */
  occupancy: Occupancy;
  /** A (re)join could not replay everything since the last seq seen: the app may reload history. */
  recovery: { room: string; recovered: false; epochChanged: boolean };
};

/** What a room needs of its client; kept narrow so the two can be read apart. */
export interface RoomHost {
  joinRoom(room: Room): Promise<JoinAck>;
  leaveRoom(room: Room): Promise<void>;
  request<T>(frame: Record<string, unknown>, options?: { retry?: boolean; queue?: boolean }): Promise<T>;
  newKey(): string;
}

/** A room's counts, as the protocol's `occupancy` frame carries them. */
export type Occupancy = Pick<OccupancyReply, 'users' | 'connections'>;

/**
 * One page of `presence` (the protocol's reply without its envelope): users in ascending id order, `next` to pass
 * as `after` while more remain, `count` instead of a list in counted rooms.
 */
export type PresencePage = Pick<PresenceReply, 'users' | 'next' | 'count'>;

export class Room extends Emitter<RoomEvents> {
  /** The latest counts heard (events or `occupancy()`), undefined until the first. */
  occupancy: Occupancy | undefined;
  /** The epoch of the sequence `lastSeq` belongs to (undefined before the first join). */
  epoch: string | undefined;
  /** The highest seq delivered to the app; a rejoin asks for everything after it. */
  lastSeq = 0;
  /** The app wants to be in this room (it is rejoined after every reconnect). */
  wanted = false;

  constructor(
    readonly name: string,
    private readonly host: RoomHost,
  ) {
    super();
  }

  join(): Promise<JoinAck> {
    this.wanted = true;
    return this.host.joinRoom(this);
  }

  leave(): Promise<void> {
    this.wanted = false;
    return this.host.leaveRoom(this);
  }

  /** Sent at most once: a key is generated unless given, and kept across reconnects and retries. */
  send(body: unknown, options: { key?: string } = {}): Promise<SendAck> {
    const key = options.key ?? this.host.newKey();
    return this.host.request<SendAck>({ type: 'send', room: this.name, body, key }, { retry: true });
  }

  async history(options: { before?: number; limit?: number } = {}): Promise<MessageFrame[]> {
    const reply = await this.host.request<{ messages: MessageFrame[] }>(
      { type: 'history', room: this.name, ...options },
      { retry: true },
    );
    return reply.messages;
  }

  /** Every user in the room, all pages (in a counted room: nobody; see `presencePage` and `count`). */
  async presence(): Promise<PresenceUser[]> {
    const users: PresenceUser[] = [];
    let after: string | undefined;
    do {
      const page = await this.presencePage({ after });
      users.push(...page.users);
      after = page.next;
    } while (after !== undefined);
    return users;
  }

  /** One page of the room's users, after the user id `after`. */
  async presencePage(options: { after?: string; limit?: number } = {}): Promise<PresencePage> {
    const frame: Record<string, unknown> = { type: 'presence', room: this.name };
    if (options.after !== undefined) frame.after = options.after;
    if (options.limit !== undefined) frame.limit = options.limit;
    const { users, next, count } = await this.host.request<PresenceReply>(frame, { retry: true });
    return { users, ...(next === undefined ? {} : { next }), ...(count === undefined ? {} : { count }) };
  }

  /** The room's cluster-wide counts (at most 2 s stale). */
  async fetchOccupancy(): Promise<Occupancy> {
    const { users, connections } = await this.host.request<OccupancyReply>(
      { type: 'occupancy', room: this.name },
      { retry: true },
    );
    this.occupancy = { users, connections };
    return this.occupancy;
  }

  /** A signal to every other member connection of the room; never stored, never queued while offline. */
  async signal(body: unknown): Promise<void> {
    await this.host.request({ type: 'signal', room: this.name, body }, { queue: false });
  }

  signalReceived(frame: SignalDelivery): void {
    this.emit('signal', frame);
  }

  /** Called by the client for each room frame; returns false for a duplicate. */
  deliver(frame: MessageFrame): boolean {
    if (frame.seq <= this.lastSeq) return false;
    this.lastSeq = frame.seq;
    this.emit('message', frame);
    return true;
  }

  /** Called by the client for each join ack (first join or rejoin). */
  joined(ack: JoinAck, asked: { since?: number; epoch?: string }): void {
    const epochChanged = this.epoch !== undefined && this.epoch !== ack.epoch;
    this.epoch = ack.epoch;
    // A room whose latest seq is below what we saw went back (the bus lost writes): seqs above it will be
    // reused by new messages, so they must not be dropped as duplicates.
    const wentBack = asked.since !== undefined && ack.seq < asked.since;
    if (asked.since === undefined || epochChanged || wentBack) this.lastSeq = ack.seq;
    if (ack.recovered === false) this.emit('recovery', { room: this.name, recovered: false, epochChanged });
  }

  /**
   * Per-user events and batched diffs become the same `user_joined` / `user_left` events for the app; returns
   * them (the client re-emits them).
   */
  presenceEvent(frame: UserJoined | UserLeft | PresenceDiff | OccupancyReply): Array<UserJoined | UserLeft> {
    if (frame.type === 'occupancy') {
      this.occupancy = { users: frame.users, connections: frame.connections };
      this.emit('occupancy', this.occupancy);
      return [];
    }
    const events: Array<UserJoined | UserLeft> =
      frame.type === 'presence_diff'
        ? [
            ...frame.joined.map(({ user, name }) => ({ type: 'user_joined' as const, room: this.name, user, name })),
            ...frame.left.map((user) => ({ type: 'user_left' as const, room: this.name, user })),
          ]
        : [frame];
    for (const event of events) {
      if (event.type === 'user_joined') this.emit('user_joined', event);
      else this.emit('user_left', event);
    }
    return events;
  }
}
