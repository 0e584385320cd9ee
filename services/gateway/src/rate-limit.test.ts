import { describe, expect, it } from 'vitest';
import { KeyedBuckets, SlidingCounter, TokenBucket } from './rate-limit.js';

describe('TokenBucket', () => {
  it('holds 2 × rate, then refills at rate per second', () => {
    const bucket = new TokenBucket(10, 0);
    let taken = 0;
    while (bucket.take(0)) taken++;
    expect(taken).toBe(20);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true); // 0.1 s earns one token
    expect(bucket.take(100)).toBe(false);
    for (let i = 0; i < 20; i++) expect(bucket.take(10_000)).toBe(true); // never more than capacity
    expect(bucket.take(10_000)).toBe(false);
  });
});

describe('KeyedBuckets', () => {
  it('gives each key its own bucket, and keeps an emptied one until it would be full again', () => {
    const buckets = new KeyedBuckets(5); // holds 10
    for (let i = 0; i < 10; i++) expect(buckets.take('a', 0)).toBe(true);
    expect(buckets.take('a', 0)).toBe(false);
    expect(buckets.take('b', 0)).toBe(true);
    buckets.sweep(1000); // 'a' has earned 5 of 10: kept, so it cannot start over full; 'b' is full: forgotten
    expect(buckets.size).toBe(1);
    for (let i = 0; i < 5; i++) expect(buckets.take('a', 1000)).toBe(true);
    expect(buckets.take('a', 1000)).toBe(false);
    buckets.sweep(3000); // full again: forgotten
    expect(buckets.size).toBe(0);
    expect(buckets.take('a', 3000)).toBe(true);
  });

  it('takes a capacity of its own: 3 strikes a minute, then one every 20 s', () => {
    const strikes = new KeyedBuckets(3 / 60, 3);
    expect(strikes.empty('u', 0)).toBe(false);
    for (let i = 0; i < 3; i++) expect(strikes.take('u', 0)).toBe(true);
    expect(strikes.empty('u', 0)).toBe(true);
    expect(strikes.empty('u', 19_000)).toBe(true);
    expect(strikes.empty('u', 20_000)).toBe(false);
    expect(strikes.take('u', 20_000)).toBe(true);
    expect(strikes.empty('u', 20_000)).toBe(true);
  });
});

describe('SlidingCounter', () => {
  it('counts only the hits inside the window', () => {
    const counter = new SlidingCounter(1000);
    expect(counter.hit(0)).toBe(1);
    expect(counter.hit(500)).toBe(2);
    expect(counter.hit(1000)).toBe(2);
    expect(counter.hit(2600)).toBe(1);
  });
});

describe('charging expensive work', () => {
  it('puts a bucket into debt that it must earn back before the next frame', () => {
    const bucket = new TokenBucket(10, 0);
    bucket.charge(50, 0); // 20 held, 30 in debt
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(3_000)).toBe(false); // back to exactly 0
    expect(bucket.take(3_100)).toBe(true);
    const keyed = new KeyedBuckets(10);
    keyed.charge('u', 25, 0);
    expect(keyed.take('u', 0)).toBe(false);
    expect(keyed.take('v', 0)).toBe(true);
  });
});
