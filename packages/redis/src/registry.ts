// The node registry, as the gateways write it and the dashboard reads it: key names and a heartbeat's shape.

/** Nodes announce every 2 s; an announcement expires after 3 missed beats. */
export const ANNOUNCE_EVERY_MS = 2_000;
export const ANNOUNCE_TTL_MS = 3 * ANNOUNCE_EVERY_MS;

/** One node's heartbeat. */
export interface NodeAnnouncement {
  node: string;
  connections: number;
  users: number;
  rooms: number;
  inPerSec: number;
  outPerSec: number;
  startedAt: number;
}

/** The node registry lives in one slot: leases, heartbeat stats, and which rooms each node has members in. */
export const nodeKeys = (prefix: string) => {
  const tag = `${prefix}:{nodes}`;
  return {
    known: `${tag}:known`,
    lease: (node: string) => `${tag}:lease:${node}`,
    stats: (node: string) => `${tag}:stats:${node}`,
    rooms: (node: string) => `${tag}:rooms:${node}`,
    reaper: (node: string) => `${tag}:reaper:${node}`,
    /** The node's biggest rooms with their local connections, beside its stats. */
    topRooms: (node: string) => `${tag}:top:${node}`,
  };
};
