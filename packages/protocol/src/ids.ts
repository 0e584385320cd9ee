// Identifier grammar shared by every frame: user ids, room names, request ids, idempotency keys.
import { z } from 'zod';

/** User ids and room names: PROTOCOL.md §1. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;
/** Message and connection ids are nanoids. */
export const NANOID_PATTERN = /^[A-Za-z0-9_-]{21}$/;

export const userId = z.string().regex(ID_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$');
export const roomName = userId;
export const nanoid = z.string().regex(NANOID_PATTERN, 'must be a 21-char nanoid');
/** A client frame's correlation id. */
export const requestId = z.string().min(1).max(64);
/** An idempotency key: one request of one user, for 2 minutes. */
export const idempotencyKey = z.string().min(1).max(64);
/** A sequence number (room seq or inbox seq). */
export const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Display names: printable, bounded. */
export const displayName = z
  .string()
  .min(1)
  .max(64)
  // eslint-disable-next-line no-control-regex -- control characters are exactly what we refuse
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters');

export const isValidId = (value: unknown): value is string => typeof value === 'string' && ID_PATTERN.test(value);
