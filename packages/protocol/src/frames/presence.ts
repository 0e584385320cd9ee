// Presence frames: the `presence` query and the per-user join/leave events (PROTOCOL.md §5).
import { z } from 'zod';
import { requestId, roomName, userId } from '../ids.js';

export const presenceFrame = z.object({ type: z.literal('presence'), id: requestId.optional(), room: roomName });

export const presenceReply = z.object({
  type: z.literal('presence'),
  id: requestId.optional(),
  room: roomName,
  users: z.array(z.object({ user: userId, name: z.string(), connections: z.number().int().positive() })),
});
export const userJoined = z.object({ type: z.literal('user_joined'), room: roomName, user: userId, name: z.string() });
export const userLeft = z.object({ type: z.literal('user_left'), room: roomName, user: userId });

export type PresenceFrame = z.infer<typeof presenceFrame>;
export type PresenceReply = z.infer<typeof presenceReply>;
export type PresenceUser = PresenceReply['users'][number];
export type UserJoined = z.infer<typeof userJoined>;
export type UserLeft = z.infer<typeof userLeft>;
