// What a handler may do: act for one connection (its identity, its rooms, its replies), and reach the node's
// shared services. Handlers see neither the session's machinery nor the node's internals.
import type { ErrorCode } from '@chorus/protocol';
import type { Authenticator, Identity } from '../auth.js';
import type { Broker } from '../bus/broker.js';
import type { MessageLog } from '../bus/message-log.js';
import type { Member, PresenceStore } from '../bus/presence.js';
import type { Config } from '../config.js';
import type { Feeds } from '../delivery/feeds.js';
import type { PresenceWriter } from '../delivery/presence-writer.js';
import type { RoomMember } from '../delivery/room-feed.js';
import type { KeyedBuckets } from '../rate-limit.js';

/** A connection's standing in a room: its join is being answered, or it receives the room. */
export type Membership = 'joining' | 'joined';

/** The connection a frame came from. */
export interface Caller extends RoomMember {
  readonly user: string;
  readonly name: string;
  readonly identity: Identity;
  /** This connection as presence records it. */
  readonly member: Member;
  readonly rooms: Map<string, Membership>;
  send(frame: string): void;
  /** An ack is sent only to frames that carried an id. */
  ack(id: string | undefined, fields: object): void;
  fail(id: string | undefined, code: ErrorCode, message: string): void;
  /** Work that cost more than a frame (a large read) is paid from the connection's and the user's budgets. */
  charge(tokens: number): void;
  /** Leaves a room: the feed here, and presence (retried until the bus takes it). */
  leaveRoom(room: string): Promise<void>;
  /** New credentials for the same user; returns the rooms they no longer allow, which were left. */
  renew(identity: Identity): string[];
}

/** The node's services a handler uses. */
export interface Services {
  readonly messages: MessageLog;
  readonly broker: Broker;
  /** Presence reads (lists, counts); joins go through `presenceWriter`, which batches them per room. */
  readonly presence: PresenceStore;
  readonly presenceWriter: PresenceWriter;
  readonly feeds: Feeds;
  readonly namespaces: Config['namespaces'];
  readonly limits: Config['limits'];
  readonly authMode: Config['auth']['mode'];
  readonly authenticate: Authenticator;
  /** Bytes of dms each sender may store in others' inboxes from this node, per minute (§10.8). */
  readonly dmBytes: KeyedBuckets;
}
