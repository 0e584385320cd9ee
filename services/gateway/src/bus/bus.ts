// The bus: how a gateway node shares rooms, dms, presence and its heartbeat with its peers. It is made of one
// driver (memory or Redis) of each concern, over one link whose state the node watches.
import type { Bans } from './bans.js';
import type { Broker } from './broker.js';
import type { MessageLog } from './message-log.js';
import type { Occupancy, PresenceDiff, PresenceStore, UserCount } from './presence.js';
import type { Registry } from './registry.js';

export type { Bans } from './bans.js';
export type { Broker } from './broker.js';
export { KICK_WAIT_MS } from './broker.js';
export type * from './message-log.js';
export { isComplete } from './message-log.js';
export type { Member, PresenceStore } from './presence.js';
export type { NodeAnnouncement, Registry, RoomCount } from './registry.js';
export { biggestRooms } from './registry.js';

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

export interface Bus {
  readonly kind: 'memory' | 'redis';
  /** Whether the link to the shared state is up (the node is unready while it is not). */
  readonly connected: boolean;
  /** Connects, and from then on calls `listener` with what arrives on the channels this node subscribes. */
  start(listener: BusListener): Promise<void>;
  readonly broker: Broker;
  readonly messages: MessageLog;
  readonly presence: PresenceStore;
  readonly registry: Registry;
  readonly bans: Bans;
  close(): Promise<void>;
}
