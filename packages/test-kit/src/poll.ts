// Waiting in tests: a pause, and polling a condition until a deadline (with what was last seen on failure).

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with the first truthy value `probe` returns, checking every `everyMs`; rejects after `timeoutMs`
 * with `what` and the last value seen (or the last error thrown).
 */
export const until = async <T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<NonNullable<T>> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${String(last)})`);
    await sleep(everyMs);
  }
};
