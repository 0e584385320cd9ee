// Presence frames: the paged `presence` query, `occupancy`, and the events of each presence mode
// (PROTOCOL.md §5, §10.2): per-user `user_joined` / `user_left`, batched `presence_diff`, counted `occupancy`.
import { z } from 'zod';
import { requestId, roomName, userId } from '../ids.js';
import { PRESENCE_LIMIT_MAX } from '../limits.js';

const id = requestId.optional();
const count = z.number().int().min(0);

export const PRESENCE_MODES = ['each', 'batched', 'count', 'off'] as const;
export type PresenceMode = (typeof PRESENCE_MODES)[number];

export const presenceFrame = z.object({
  type: z.literal('presence'),
  id,
  room: roomName,
  limit: z.number().int().min(1).max(PRESENCE_LIMIT_MAX).optional(),
  /** Users in ascending id order after this one. */
  after: userId.optional(),
});
export const occupancyFrame = z.object({ type: z.literal('occupancy'), id, room: roomName });

export const presenceUser = z.object({ user: userId, name: z.string(), connections: z.number().int().positive() });
export const presenceReply = z.object({
  type: z.literal('presence'),
  id,
  room: roomName,
  users: z.array(presenceUser),
  /** `count` rooms: how many users, instead of the list. */
  count: count.optional(),
  /** The last user id of this page, when more remain. */
  next: userId.optional(),
});
/** The reply to `occupancy`, and the event members of a counted room get (without id). */
export const occupancyReply = z.object({
  type: z.literal('occupancy'),
  id,
  room: roomName,
  users: count,
  connections: count,
});
export const userJoined = z.object({ type: z.literal('user_joined'), room: roomName, user: userId, name: z.string() });
export const userLeft = z.object({ type: z.literal('user_left'), room: roomName, user: userId });
export const presenceDiff = z.object({
  type: z.literal('presence_diff'),
  room: roomName,
  joined: z.array(z.object({ user: userId, name: z.string() })),
  left: z.array(userId),
});

export type PresenceFrame = z.infer<typeof presenceFrame>;
export type OccupancyFrame = z.infer<typeof occupancyFrame>;
export type PresenceReply = z.infer<typeof presenceReply>;
export type PresenceUser = z.infer<typeof presenceUser>;
export type OccupancyReply = z.infer<typeof occupancyReply>;
export type UserJoined = z.infer<typeof userJoined>;
export type UserLeft = z.infer<typeof userLeft>;
export type PresenceDiff = z.infer<typeof presenceDiff>;
