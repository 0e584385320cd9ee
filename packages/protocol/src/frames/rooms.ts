// Room frames: join, leave, send, history and the room `message` (PROTOCOL.md §2, §3).
import { z } from 'zod';
import { HISTORY_LIMIT_MAX } from '../limits.js';
import { idempotencyKey, nanoid, requestId, roomName, seq, userId } from '../ids.js';

const id = requestId.optional();
/** `body` is any JSON value; depth and size are checked by the envelope, which knows the limits. */
export const body = z.custom<unknown>((value) => value !== undefined, 'is required');

export const joinFrame = z.object({
  type: z.literal('join'),
  id,
  room: roomName,
  since: seq.optional(),
  epoch: z.string().min(1).max(64).optional(),
});
export const leaveFrame = z.object({ type: z.literal('leave'), id, room: roomName });
export const sendFrame = z.object({
  type: z.literal('send'),
  id,
  room: roomName,
  body,
  key: idempotencyKey.optional(),
});
export const historyFrame = z.object({
  type: z.literal('history'),
  id,
  room: roomName,
  before: seq.optional(),
  limit: z.number().int().min(1).max(HISTORY_LIMIT_MAX).optional(),
});

export const messageFrame = z.object({
  type: z.literal('message'),
  room: roomName,
  seq,
  msg: nanoid,
  from: userId,
  name: z.string(),
  body: z.unknown(),
  ts: z.number().int(),
});
export const historyReply = z.object({
  type: z.literal('history'),
  id,
  room: roomName,
  epoch: z.string(),
  messages: z.array(messageFrame),
});

export const joinAck = z.object({
  room: roomName,
  seq,
  epoch: z.string(),
  recovered: z.boolean().optional(),
});
export const leaveAck = z.object({ room: roomName });
export const sendAck = z.object({ room: roomName, seq, msg: nanoid });

export type JoinFrame = z.infer<typeof joinFrame>;
export type LeaveFrame = z.infer<typeof leaveFrame>;
export type SendFrame = z.infer<typeof sendFrame>;
export type HistoryFrame = z.infer<typeof historyFrame>;
export type MessageFrame = z.infer<typeof messageFrame>;
export type HistoryReply = z.infer<typeof historyReply>;
export type JoinAck = z.infer<typeof joinAck>;
export type LeaveAck = z.infer<typeof leaveAck>;
export type SendAck = z.infer<typeof sendAck>;
