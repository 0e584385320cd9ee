// The message log seam: room logs and inboxes, each append sequenced, stored and published in one step.
import type { Reply } from './replies.js';

export type { DmReply, Reply, SendReply } from './replies.js';

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

/** A room message before the log gives it a seq. The frame is `head + seq + tail` (see outbound.ts). */
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

export interface RoomPage extends RoomState {
  /** Ascending. */
  messages: StoredFrame[];
}

/** Inbox sizes: the newest `size` dms, kept `ttlS` (or `unseenTtlS` for a user who never connected). */
export interface InboxRetention {
  size: number;
  ttlS: number;
  unseenTtlS: number;
}

export interface MessageLog {
  /**
   * Idempotency claim → seq → store → publish on the room's channel, as one step. A key belongs to its user
   * across rooms and dms: a repeat gets the first reply back, whatever its own kind (§10.8).
   */
  publishRoom(draft: RoomDraft): Promise<Outcome>;
  /**
   * The room's epoch and latest seq (creating the epoch of a new room), and the messages after `since`.
   * Given the reader's `epoch`, nothing is read when it is not the room's: it could not be replayed (§10.8).
   */
  roomSince(room: string, since: number | undefined, epoch?: string): Promise<RoomRead>;
  /** The latest `limit` retained messages with seq < `before`, ascending. */
  roomHistory(room: string, before: number | undefined, limit: number): Promise<RoomPage>;

  /** Claim → seq → store in the recipient's inbox → publish on the user's channel; `online` is its receivers. */
  sendDm(draft: DmDraft): Promise<Outcome>;
  /** The user's unconfirmed dms, oldest first. A connection opening its inbox makes the user seen. */
  inbox(user: string): Promise<StoredFrame[]>;
  /** Confirm every inbox dm with seq ≤ upTo (clamped to the newest); returns the highest confirmed seq. */
  confirm(user: string, upTo: number): Promise<number>;
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

/** The messages a read may return: those not past their retention (the log may still hold older ones). */
export const retained = <T extends { ts: number }>(entries: readonly T[], ttlS: number, now: number): readonly T[] => {
  const oldest = now - ttlS * 1000;
  return entries[0] && entries[0].ts >= oldest ? entries : entries.filter((m) => m.ts >= oldest);
};
