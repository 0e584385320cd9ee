// Token buckets: `rate` tokens a second, holding at most `capacity` (2 × rate by default, as PROTOCOL.md §6
// asks of the per-connection limit).
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  constructor(
    private readonly rate: number,
    now = Date.now(),
    private readonly capacity = 2 * rate,
  ) {
    this.tokens = capacity;
    this.refilledAt = now;
  }
  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
      this.refilledAt = now;
    }
  }
  take(now = Date.now(), cost = 1): boolean {
    this.refill(now);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
  empty(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens < 1;
  }
  /** Spend `tokens` more, into debt if need be: the bucket refuses until it has earned them back. */
  charge(tokens: number, now = Date.now()): void {
    this.refill(now);
    this.tokens -= tokens;
  }
  /** Full again by `now`: indistinguishable from a new bucket, so it can be forgotten. */
  fullBy(now: number): boolean {
    return this.tokens + ((now - this.refilledAt) * this.rate) / 1000 >= this.capacity;
  }
}

/**
 * One token bucket per key (a user), kept after the key's last connection closes until it would be full
 * again: reconnecting must not buy a fresh bucket, and forgetting a full bucket changes nothing.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  constructor(
    private readonly rate: number,
    private readonly capacity = 2 * rate,
  ) {}
  take(key: string, now = Date.now(), cost = 1): boolean {
    return this.bucket(key, now).take(now, cost);
  }
  charge(key: string, tokens: number, now = Date.now()): void {
    this.bucket(key, now).charge(tokens, now);
  }
  private bucket(key: string, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = new TokenBucket(this.rate, now, this.capacity)));
    return bucket;
  }
  /** The key has spent everything it may for now (a key never seen has not). */
  empty(key: string, now = Date.now()): boolean {
    return this.buckets.get(key)?.empty(now) ?? false;
  }
  /** Forget every bucket that is full again; call every few seconds. */
  sweep(now = Date.now()): void {
    for (const [key, bucket] of this.buckets) if (bucket.fullBy(now)) this.buckets.delete(key);
  }
  get size(): number {
    return this.buckets.size;
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
