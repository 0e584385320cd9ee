// Signals (PROTOCOL.md §10.3): ephemeral frames to a user or a room — typing, call set-up. Never stored.
import { z } from 'zod';
import { requestId, roomName, userId } from '../ids.js';
import { body } from './rooms.js';

/** Exactly one of `to` or `room`. */
export const signalFrame = z
  .object({
    type: z.literal('signal'),
    id: requestId.optional(),
    body,
    to: userId.optional(),
    room: roomName.optional(),
  })
  .refine((f) => (f.to === undefined) !== (f.room === undefined), {
    message: 'exactly one of to or room',
    path: ['to'],
  });

export const signalDelivery = z.object({
  type: z.literal('signal'),
  from: userId,
  name: z.string(),
  to: userId.optional(),
  room: roomName.optional(),
  body: z.unknown(),
  ts: z.number().int(),
});

export type SignalFrame = z.infer<typeof signalFrame>;
export type SignalDelivery = z.infer<typeof signalDelivery>;
