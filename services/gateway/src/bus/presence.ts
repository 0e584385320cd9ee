// The presence seam: who is in each room, cluster-wide, kept by one store per bus (memory or Redis).
import type { PresenceMode, PresenceUser } from '@chorus/protocol';

export interface Member {
  node: string;
  conn: string;
  user: string;
  name: string;
}

/** One connection entering or leaving a room's presence. */
export interface PresenceChange {
  join: boolean;
  member: Member;
}

/** How a room announces changes: its namespace's mode and the valves past which it only counts (§10.2). */
export interface PresencePolicy {
  mode: Exclude<PresenceMode, 'off'>;
  eachMax: number;
  batchMax: number;
}

/** A room's user count as of one presence batch; a higher `version` is newer. */
export interface UserCount {
  users: number;
  version: number;
}

export interface Applied extends UserCount {
  changed: boolean[];
}

export interface Occupancy {
  users: number;
  connections: number;
}

export interface PresencePage {
  /** Ascending by user id. */
  users: PresenceUser[];
  /** The last user id of the page, when more remain. */
  next?: string;
}

export interface PresenceStore {
  /**
   * Applies one node's changes to a room, in order and atomically, and publishes on the room's channel what
   * its policy asks for: per-user events, one diff, or one occupancy count. Resolves, per change, whether it
   * changed anything (a join of a member already present, or a leave of one absent, does not), and how many
   * users the room has after the batch.
   */
  apply(room: string, changes: readonly PresenceChange[], policy: PresencePolicy): Promise<Applied>;
  list(room: string, after: string | undefined, limit: number): Promise<PresencePage>;
  occupancy(room: string): Promise<Occupancy>;
}

/** A user's first connection in / last connection out, as the events of the three modes carry it. */
export interface PresenceDiff {
  joined: Array<{ user: string; name: string }>;
  left: string[];
}
