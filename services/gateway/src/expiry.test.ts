import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiryTimer } from './expiry.js';

describe('ExpiryTimer', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());
  const day = 86_400_000;

  it.each([1, 24, 25, 30, 365])('fires once, just after exp, for a token valid %i days', (days) => {
    const expired = vi.fn();
    const timer = new ExpiryTimer(expired);
    timer.arm(Date.now() + days * day);
    vi.advanceTimersByTime(days * day - 1_000);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1_600);
    expect(expired).toHaveBeenCalledTimes(1);
  });
  it('re-arming moves the deadline, and undefined disarms', () => {
    const expired = vi.fn();
    const timer = new ExpiryTimer(expired);
    timer.arm(Date.now() + 1_000);
    timer.arm(Date.now() + 60_000);
    vi.advanceTimersByTime(30_000);
    expect(expired).not.toHaveBeenCalled();
    timer.arm(undefined);
    vi.advanceTimersByTime(60_000);
    expect(expired).not.toHaveBeenCalled();
  });
});
