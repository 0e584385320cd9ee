// Connection frames: welcome, ping/pong, echo, ack, error, reconnect, refresh (PROTOCOL.md §1, §2, §10.4).
import { z } from 'zod';
import { ERROR_CODES } from '../errors.js';
import { limitsSchema } from '../limits.js';
import { nanoid, requestId, userId } from '../ids.js';
import { dmAck, receivedAck } from './dm.js';
import { body, joinAck, sendAck } from './rooms.js';

const id = requestId.optional();

export const pingFrame = z.object({ type: z.literal('ping'), id });
/** JWT mode (PROTOCOL.md §10.4): new credentials for the same user, without reconnecting. */
export const refreshFrame = z.object({ type: z.literal('refresh'), id, token: z.string().min(1).max(8_192) });
export const refreshAck = z.object({ expiresAt: z.number().int() });
export const echoFrame = z.object({ type: z.literal('echo'), id, body });

export const welcomeFrame = z.object({
  type: z.literal('welcome'),
  conn: nanoid,
  user: userId,
  name: z.string(),
  node: z.string(),
  heartbeatMs: z.number().int().positive(),
  limits: limitsSchema,
});
export const pongFrame = z.object({ type: z.literal('pong'), id, ts: z.number().int() });
export const echoReply = z.object({ type: z.literal('echo'), id, body: z.unknown() });
/** One `ack` frame for every request: the union of the per-request field sets of rooms.ts and dm.ts, each optional. */
export const ackFrame = z.object({
  type: z.literal('ack'),
  id,
  ...joinAck.partial().shape,
  ...sendAck.partial().shape,
  ...dmAck.partial().shape,
  ...receivedAck.partial().shape,
  ...refreshAck.partial().shape,
});
export const errorFrame = z.object({
  type: z.literal('error'),
  id,
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  message: z.string(),
});
export const reconnectFrame = z.object({ type: z.literal('reconnect'), reason: z.literal('draining') });

export type PingFrame = z.infer<typeof pingFrame>;
export type RefreshFrame = z.infer<typeof refreshFrame>;
export type RefreshAck = z.infer<typeof refreshAck>;
export type EchoFrame = z.infer<typeof echoFrame>;
export type WelcomeFrame = z.infer<typeof welcomeFrame>;
export type PongFrame = z.infer<typeof pongFrame>;
export type EchoReply = z.infer<typeof echoReply>;
export type AckFrame = z.infer<typeof ackFrame>;
export type ErrorFrame = z.infer<typeof errorFrame>;
export type ReconnectFrame = z.infer<typeof reconnectFrame>;
