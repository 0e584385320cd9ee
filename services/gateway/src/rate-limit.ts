// Per-connection token bucket: `rate` tokens a second, holding at most 2 × rate (PROTOCOL.md §6).
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private readonly capacity: number;
  constructor(
    private readonly rate: number,
    now = Date.now(),
  ) {
    this.capacity = 2 * rate;
    this.tokens = this.capacity;
    this.refilledAt = now;
  }
  take(now = Date.now()): boolean {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Counts events in a sliding window; `hit` returns how many fell inside it, this one included. */
export class SlidingCounter {
  private readonly times: number[] = [];
  constructor(private readonly windowMs: number) {}
  hit(now = Date.now()): number {
    this.times.push(now);
    while (this.times.length > 0 && this.times[0]! <= now - this.windowMs) this.times.shift();
    return this.times.length;
  }
}
