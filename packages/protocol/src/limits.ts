// The limits a gateway announces in `welcome` and enforces on every frame (PROTOCOL.md §1, §2, §6).
import { z } from 'zod';

export const limitsSchema = z.object({
  maxFrameBytes: z.number().int().positive(),
  maxBodyBytes: z.number().int().positive(),
  ratePerSec: z.number().int().positive(),
  maxRooms: z.number().int().positive(),
});
export type Limits = z.infer<typeof limitsSchema>;

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameBytes: 65_536,
  maxBodyBytes: 16_384,
  ratePerSec: 50,
  maxRooms: 100,
});

/** `body` may nest at most this many containers deep; deeper is `bad_frame`. */
export const MAX_BODY_DEPTH = 32;
/** `history.limit` bounds and default. */
export const HISTORY_LIMIT_MAX = 200;
export const HISTORY_LIMIT_DEFAULT = 50;
/** `presence.limit` bound and default (users per page). */
export const PRESENCE_LIMIT_MAX = 1_000;
/** How long an idempotency key is remembered. */
export const IDEMPOTENCY_TTL_MS = 120_000;
/** The bad-input budget: the Nth bad frame within the window closes with 1008. */
export const BAD_FRAME_BUDGET = { count: 20, windowMs: 60_000 } as const;
/** Rate limited continuously this long closes with 1008. */
export const RATE_LIMIT_CLOSE_AFTER_MS = 10_000;
/**
 * Frames that read stored messages (`join` with `since`, `history`) cost one more rate-limit token per this
 * many bytes they return, so no connection can make the bus read much for the price of one frame (§10.8).
 */
export const READ_BYTES_PER_TOKEN = 4_096;
