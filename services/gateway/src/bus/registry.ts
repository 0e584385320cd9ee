// The registry seam: each node's heartbeat (a lease with its figures and biggest rooms) and the live nodes.
import type { NodeAnnouncement } from '@chorus/redis';

/** A node's heartbeat: its shape is shared with the dashboard (@chorus/redis). */
export type { NodeAnnouncement } from '@chorus/redis';

/** A room and its connections on one node (or summed over the cluster). */
export interface RoomCount {
  room: string;
  connections: number;
}

export interface Registry {
  /** Heartbeat: this node's figures and its biggest rooms, expiring after `ttlMs`. */
  announce(stats: NodeAnnouncement, ttlMs: number, topRooms: RoomCount[]): Promise<void>;
  /** The announcements of the nodes whose lease has not expired. */
  nodes(): Promise<NodeAnnouncement[]>;
  /** The rooms with the most connections across the live nodes' announcements, most first. */
  topRooms(limit: number): Promise<RoomCount[]>;
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
