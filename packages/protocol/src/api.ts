// The server API's request and response bodies (PROTOCOL.md §7, §10.5): validated by the gateway, described
// by its OpenAPI document, typed for callers. Bodies use the same field schemas as the frames.
import { z } from 'zod';
import { HISTORY_LIMIT_MAX, PRESENCE_LIMIT_MAX } from './limits.js';
import { idempotencyKey, nanoid, roomName, seq, userId } from './ids.js';
import { body } from './frames/rooms.js';

export const publishRequest = z.object({
  room: roomName,
  body,
  from: userId.optional(),
  key: idempotencyKey.optional(),
});
export const publishResponse = z.object({ seq, msg: nanoid });

export const dmRequest = z.object({ to: userId, body, from: userId.optional(), key: idempotencyKey.optional() });
export const dmResponse = z.object({ msg: nanoid, online: z.boolean() });

export const signalRequest = z
  .object({ to: userId.optional(), room: roomName.optional(), body })
  .refine((r) => (r.to === undefined) !== (r.room === undefined), {
    message: 'exactly one of to or room',
    path: ['to'],
  });
export const signalResponse = z.union([z.object({ online: z.boolean() }), z.object({ room: roomName })]);

const reason = z.string().min(1).max(123); // what fits in a close frame's reason
export const disconnectRequest = z.object({ user: userId, reason: reason.optional() });
export const disconnectResponse = z.object({ closed: z.number().int().min(0) });
export const banRequest = z.object({
  user: userId,
  seconds: z
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 86_400),
  reason: reason.optional(),
});
export const banResponse = z.object({ closed: z.number().int().min(0), until: z.number().int() });

/** Query strings arrive as text: numbers are coerced, then bounded like the frames' fields. */
export const presenceQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PRESENCE_LIMIT_MAX).optional(),
  after: userId.optional(),
});
export const historyQuery = z.object({
  before: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(HISTORY_LIMIT_MAX).optional(),
});
export const roomsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).optional() });

export const occupancyResponse = z.object({ users: z.number().int().min(0), connections: z.number().int().min(0) });
export const roomsResponse = z.array(
  z.object({ room: roomName, users: z.number().int().min(0), connections: z.number().int().min(0) }),
);
export const userInfoResponse = z.object({
  user: userId,
  online: z.boolean(),
  nodes: z.number().int().min(0),
  bannedUntil: z.number().int().nullable(),
});
export const apiError = z.object({ error: z.string(), message: z.string() });

export type PublishRequest = z.infer<typeof publishRequest>;
export type DmRequest = z.infer<typeof dmRequest>;
export type SignalRequest = z.infer<typeof signalRequest>;
export type DisconnectRequest = z.infer<typeof disconnectRequest>;
export type BanRequest = z.infer<typeof banRequest>;
