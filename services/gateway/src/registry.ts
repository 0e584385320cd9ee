// The node registry as other services see it: key names and the shape of a heartbeat (no runtime deps).
export { nodeKeys } from './bus/keys.js';
export type { NodeAnnouncement } from './bus/bus.js';
/** Nodes announce every 2 s; an announcement expires after 3 missed beats. */
export const ANNOUNCE_EVERY_MS = 2_000;
export const ANNOUNCE_TTL_MS = 3 * ANNOUNCE_EVERY_MS;
