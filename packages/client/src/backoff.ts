// Reconnect delays: exponential backoff with full jitter (AWS architecture blog's "Full Jitter").

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 10_000 };

/** A uniformly random delay in [0, min(max, base × 2^attempt)). */
export const backoffDelay = (attempt: number, options: BackoffOptions, random: () => number): number =>
  Math.floor(random() * Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30)));

/** After 1012/1013 the server asks for a prompt reconnect: soon, but spread so clients do not stampede. */
export const promptDelay = (random: () => number): number => Math.floor(random() * 500);
