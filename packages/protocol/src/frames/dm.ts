// Direct-message frames: dm, received, and the inbox `dm` delivery (PROTOCOL.md §4).
import { z } from 'zod';
import { idempotencyKey, nanoid, requestId, seq, userId } from '../ids.js';
import { body } from './rooms.js';

const id = requestId.optional();

export const dmFrame = z.object({
  type: z.literal('dm'),
  id,
  to: userId,
  body,
  key: idempotencyKey.optional(),
});
export const receivedFrame = z.object({ type: z.literal('received'), id, upTo: seq });

export const dmDelivery = z.object({
  type: z.literal('dm'),
  seq,
  msg: nanoid,
  from: userId,
  name: z.string(),
  to: userId,
  body: z.unknown(),
  ts: z.number().int(),
});

export const dmAck = z.object({ msg: nanoid, online: z.boolean() });
export const receivedAck = z.object({ upTo: seq });

export type DmFrame = z.infer<typeof dmFrame>;
export type ReceivedFrame = z.infer<typeof receivedFrame>;
export type DmDelivery = z.infer<typeof dmDelivery>;
export type DmAck = z.infer<typeof dmAck>;
export type ReceivedAck = z.infer<typeof receivedAck>;
