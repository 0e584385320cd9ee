// The bus seam: how a gateway node shares rooms, dms and presence with its peers (memory or Redis).
import type { Occupancy, PresenceDiff, PresenceStore, UserCount } from './presence.js';

export type { Member } from './presence.js';

/** How much of a room's history is kept: the newest `size` messages, each for `ttlS` seconds. */
export interface Retention {
  size: number;
  ttlS: number;
}

/** A stored, already-serialized frame with its sequence number. */
export interface StoredFrame {
  seq: number;
  frame: string;
}

/** A room message before the bus gives it a seq. The frame is `head + seq + tail` (see outbound.ts). */
export interface RoomDraft {
  room: string;
  user: string;
  key: string | undefined;
  msg: string;
  ts: number;
  tail: string;
}

export interface DmDraft {
  from: string;
  to: string;
  key: string | undefined;
  msg: string;
  ts: number;
  tail: string;
}

export interface SendReply {
  room: string;
  seq: number;
  msg: string;
}
export interface DmReply {
  msg: string;
  online: boolean;
}
/**
 * The first reply given for an idempotency key. A repeat gets the first reply back, whatever
 * its own kind: a dm retried with a room send's key answers with that send's ack.
 */
export type Reply = SendReply | DmReply;

export interface Outcome {
  reply: Reply;
  duplicate: boolean;
}

export interface RoomState {
  epoch: string;
  /** The latest seq (0 for a new room). */
  seq: number;
}

export interface RoomRead extends RoomState {
  /** Retained messages with seq > since, ascending (empty when no `since` was asked). */
  messages: StoredFrame[];
  /** True when every message after `since` up to `seq` is in `messages`. */
  complete: boolean;
}

/**
 * Whether a read after `since` holds every message up to the latest seq: the reader's epoch (when given) is
 * the room's, `since` is not past the latest seq, and retention kept the first message wanted.
 */
export const isComplete = (
  read: RoomState & { messages: readonly StoredFrame[] },
  since: number,
  epoch: string | undefined,
): boolean =>
  (epoch === undefined || epoch === read.epoch) &&
  since <= read.seq &&
  (since === read.seq || read.messages[0]?.seq === since + 1);

/** Presence as the bus delivers it: what a room's mode (§10.2) publishes on the room's channel. */
export interface PresenceEvents {
  /**
   * A per-user event (`user_joined` / `user_left`), to every local member except `originConn`; `users` is the
   * room's count after the change (past the valve, members get counts instead, §10.2).
   */
  roomEvent(room: string, originConn: string, frame: string, count: UserCount): void;
  /** One node's batch of changes in a `batched` room; `origins` are the connections that caused them. */
  presenceDiff(room: string, origins: string[], diff: PresenceDiff): void;
  /** The room's counts after a change, in a counted room (or one past its valve). */
  occupancy(room: string, counts: Occupancy, version: number): void;
}

/** What a bus calls back into its node. Calls for one room (or user) arrive in publish order. */
export interface BusListener extends PresenceEvents {
  roomMessage(room: string, seq: number, epoch: string, frame: string): void;
  /** A signal to every member of the room on this node except `originConn` (§10.3). */
  roomSignal(room: string, originConn: string, frame: string): void;
  /** A signal to every connection of the user on this node. */
  userSignal(user: string, frame: string): void;
  /** Close every connection of the user on this node with `code` (§10.5); returns how many it closed. */
  kick(user: string, code: number, reason: string): number;
  userMessage(user: string, seq: number, frame: string): void;
  /** The bus lost and regained its link: the node must re-check every room for gaps. */
  resynced?(): void;
  connectionChanged?(connected: boolean): void;
}

/** A node's heartbeat: its shape is shared with the dashboard (@chorus/redis). */
export type { NodeAnnouncement } from '@chorus/redis';
import type { NodeAnnouncement } from '@chorus/redis';

/** A room and its connections on one node (or summed over the cluster). */
export interface RoomCount {
  room: string;
  connections: number;
}

/** Sums per-node room counts and keeps the `limit` biggest: the one rule both drivers share. */
export const biggestRooms = (perNode: ReadonlyArray<readonly RoomCount[]>, limit: number): RoomCount[] => {
  const sums = new Map<string, number>();
  for (const rooms of perNode)
    for (const { room, connections } of rooms) sums.set(room, (sums.get(room) ?? 0) + connections);
  return [...sums]
    .map(([room, connections]) => ({ room, connections }))
    .sort((a, b) => b.connections - a.connections || (a.room < b.room ? -1 : 1))
    .slice(0, limit);
};

/** How long `kick` waits for the nodes that had the user to say how many they closed. */
export const KICK_WAIT_MS = 2_000;

export interface Bus {
  readonly kind: 'memory' | 'redis';
  readonly connected: boolean;
  start(listener: BusListener): Promise<void>;

  subscribeRoom(room: string): Promise<void>;
  unsubscribeRoom(room: string): Promise<void>;
  subscribeUser(user: string): Promise<void>;
  unsubscribeUser(user: string): Promise<void>;

  /** Idempotency claim → seq → store → publish, as one step. */
  publishRoom(draft: RoomDraft): Promise<Outcome>;
  /**
   * The room's epoch and latest seq (creating the epoch of a new room), and the messages after `since`.
   * Given the reader's `epoch`, nothing is read when it is not the room's: it could not be replayed (§10.8).
   */
  roomSince(room: string, since: number | undefined, epoch?: string): Promise<RoomRead>;
  /** The latest `limit` retained messages with seq < `before`, ascending. */
  roomHistory(
    room: string,
    before: number | undefined,
    limit: number,
  ): Promise<RoomState & { messages: StoredFrame[] }>;

  sendDm(draft: DmDraft): Promise<Outcome>;
  /** The user's unconfirmed dms, oldest first. */
  inbox(user: string): Promise<StoredFrame[]>;
  /** Confirm every inbox dm with seq ≤ upTo; returns the highest confirmed seq. */
  confirm(user: string, upTo: number): Promise<number>;

  readonly presence: PresenceStore;

  /** A signal (§10.3), never stored: resolves whether any node had a connection of `to`. */
  signalUser(to: string, frame: string): Promise<boolean>;
  signalRoom(room: string, originConn: string, frame: string): Promise<void>;
  /** Closes every connection of `user` on every node; resolves how many closed (best effort within 2 s). */
  kick(user: string, code: number, reason: string): Promise<number>;
  /** How many nodes hold a connection of `user` now (its channel's subscribers). */
  userNodes(user: string): Promise<number>;
  /** Until when (ms since the epoch) `user` is banned; 0 lifts a ban. */
  ban(user: string, until: number): Promise<void>;
  bannedUntil(user: string): Promise<number | undefined>;

  /** Heartbeat: this node's figures and its biggest rooms, expiring after 3 missed beats. */
  announce(stats: NodeAnnouncement, ttlMs: number, topRooms: RoomCount[]): Promise<void>;
  nodes(): Promise<NodeAnnouncement[]>;
  /** The rooms with the most connections across the live nodes' announcements, most first. */
  topRooms(limit: number): Promise<RoomCount[]>;

  close(): Promise<void>;
}

/** Message ids kept per idempotency key: the protocol's 2 minutes. */
export { IDEMPOTENCY_TTL_MS } from '@chorus/protocol';
