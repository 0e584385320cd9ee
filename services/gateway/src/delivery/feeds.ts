// The node's registry of room and user feeds: reference-counted bus subscriptions, and the bus listener.
import type { Logger } from 'pino';
import type { Bus, BusListener } from '../bus/bus.js';
import type { Occupancy, PresenceDiff, UserCount } from '../bus/presence.js';
import type { Namespaces } from '../namespaces.js';
import { RoomFeed, type FeedHost, type RoomMember } from './room-feed.js';
import { UserFeed } from './user-feed.js';

/** What the feeds need of their node. */
export interface FeedsOptions {
  bus: Bus;
  /** Fan-out to a uWS topic; returns how many sockets it reached. */
  publish(topic: string, frame: string): number;
  subscribers(topic: string): number;
  memberById(connId: string): RoomMember | undefined;
  /** Close every local connection of a user; returns how many. */
  kick(user: string, code: number, reason: string): number;
  namespaces: Namespaces;
  presence: { batchMs: number; eachMax: number };
  log: Logger;
  /** How long a recovering join waits for others to share its read (undefined: the default). */
  gatherMs?: number;
}

export class Feeds implements BusListener, FeedHost {
  private readonly rooms = new Map<string, RoomFeed>();
  private readonly users = new Map<string, UserFeed>();
  /** Presence removals that failed while the bus was away; retried when it is back. */
  private pendingLeaves: Array<() => Promise<void>> = [];
  readonly bus: Bus;
  readonly publish: (topic: string, frame: string) => number;
  readonly subscribers: (topic: string) => number;
  readonly presenceWindowMs: number;
  readonly presenceEachMax: number;
  readonly gatherMs: number | undefined;
  private readonly log: Logger;

  constructor(private readonly options: FeedsOptions) {
    this.bus = options.bus;
    this.publish = options.publish;
    this.subscribers = options.subscribers;
    this.presenceWindowMs = options.presence.batchMs;
    this.presenceEachMax = options.presence.eachMax;
    this.gatherMs = options.gatherMs;
    this.log = options.log;
  }

  get roomCount(): number {
    return this.rooms.size;
  }
  get userCount(): number {
    return this.users.size;
  }

  room(name: string): RoomFeed {
    let feed = this.rooms.get(name);
    if (!feed) this.rooms.set(name, (feed = new RoomFeed(name, this.options.namespaces.of(name), this)));
    return feed;
  }

  user(name: string): UserFeed {
    let feed = this.users.get(name);
    if (!feed) this.users.set(name, (feed = new UserFeed(name, this.bus, this.publish)));
    return feed;
  }

  /** The rooms with the most local members (and joiners). */
  biggest(limit: number): Array<{ room: string; connections: number }> {
    return [...this.rooms.values()]
      .map((feed) => ({ room: feed.room, connections: feed.size }))
      .sort((a, b) => b.connections - a.connections)
      .slice(0, limit);
  }

  connectionsOf(user: string): number {
    return this.users.get(user)?.size ?? 0;
  }

  existingRoom(name: string): RoomFeed | undefined {
    return this.rooms.get(name);
  }

  /** One of the user's local connections closed. */
  releaseUser(name: string): void {
    const feed = this.users.get(name);
    if (!feed?.close()) return;
    this.users.delete(name);
    feed.unsubscribe().catch((err: unknown) => this.log.warn({ err, user: name }, 'user unsubscribe failed'));
  }

  idle(feed: RoomFeed): void {
    if (feed.size > 0 || this.rooms.get(feed.room) !== feed) return;
    this.rooms.delete(feed.room);
    feed.stop();
    feed.unsubscribe().catch((err: unknown) => this.log.warn({ err, room: feed.room }, 'room unsubscribe failed'));
  }

  onGapFilled(room: string, count: number): void {
    this.log.info({ room, count }, 'room gap filled from the stream');
  }

  // ---- BusListener ---------------------------------------------------------------------------

  roomMessage(room: string, seq: number, epoch: string, frame: string): void {
    this.rooms.get(room)?.onMessage(seq, epoch, frame);
  }

  roomEvent(room: string, originConn: string, frame: string, count: UserCount): void {
    const feed = this.rooms.get(room);
    if (!feed) return;
    feed.noteUsers(count);
    feed.onUserEvent(originConn, frame, this.options.memberById(originConn), count.version);
  }

  presenceDiff(room: string, origins: string[], diff: PresenceDiff): void {
    this.rooms.get(room)?.onDiff(origins, diff);
  }

  occupancy(room: string, counts: Occupancy, version: number): void {
    const feed = this.rooms.get(room);
    feed?.noteUsers({ users: counts.users, version });
    feed?.onOccupancy(counts);
  }

  roomSignal(room: string, originConn: string, frame: string): void {
    this.rooms.get(room)?.onSignal(originConn, frame, this.options.memberById(originConn));
  }

  userSignal(user: string, frame: string): void {
    this.users.get(user)?.onSignal(frame);
  }

  kick(user: string, code: number, reason: string): number {
    return this.options.kick(user, code, reason);
  }

  userMessage(user: string, seq: number, frame: string): void {
    this.users.get(user)?.onMessage(seq, frame);
  }

  /** Remember a presence removal to retry once the bus reconnects, so no ghost stays in a room. */
  retryWhenConnected(removal: () => Promise<void>): void {
    this.pendingLeaves.push(removal);
  }

  resynced(): void {
    for (const feed of this.rooms.values()) feed.resync();
    for (const feed of this.users.values()) {
      feed.resync().catch((err: unknown) => this.log.warn({ err, user: feed.user }, 'inbox resync failed'));
    }
    const pending = this.pendingLeaves;
    this.pendingLeaves = [];
    for (const removal of pending) removal().catch(() => this.retryWhenConnected(removal));
  }
}
