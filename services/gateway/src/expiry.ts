// The token-expiry timer of one connection (the 4001 close), for tokens valid however far ahead.

/** setTimeout fires after 1 ms when asked to wait longer than this (2³¹−1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Closed this long after `exp`: inside the protocol's 2 s clock tolerance. */
const GRACE_MS = 500;

export class ExpiryTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onExpired: () => void) {}

  /** (Re-)arm for a token valid until `expiresAt` (ms since the epoch); undefined disarms. */
  arm(expiresAt: number | undefined, now = Date.now()): void {
    this.clear();
    if (expiresAt === undefined) return;
    const wait = Math.max(0, expiresAt - now) + GRACE_MS;
    // A long wait is taken in steps, re-armed from the clock each time.
    this.timer =
      wait > MAX_TIMEOUT_MS
        ? setTimeout(() => this.arm(expiresAt), MAX_TIMEOUT_MS)
        : setTimeout(() => {
            this.timer = undefined;
            this.onExpired();
          }, wait);
    this.timer.unref();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
