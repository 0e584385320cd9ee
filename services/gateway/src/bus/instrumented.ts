// Times every bus request into the round-trip histogram, without the drivers knowing about metrics.
import type { Histogram } from 'prom-client';
import type { Bus } from './bus.js';

const TIMED = [
  'publishRoom',
  'roomSince',
  'roomHistory',
  'sendDm',
  'inbox',
  'confirm',
  'subscribeRoom',
  'subscribeUser',
  'announce',
] as const satisfies ReadonlyArray<keyof Bus>;

/**
 * The same bus, with each timed request observed in the histogram: a wrapper (the driver itself is untouched),
 * whose timed methods are made once, not per call.
 */
export const timedBus = (bus: Bus, roundTrip: Histogram<'op'>): Bus => {
  const timed = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  for (const op of TIMED) {
    const original = (bus[op] as (...args: unknown[]) => Promise<unknown>).bind(bus);
    const timer = roundTrip.labels(op);
    timed.set(op, async (...args) => {
      const end = timer.startTimer();
      try {
        return await original(...args);
      } finally {
        end();
      }
    });
  }
  return new Proxy(bus, { get: (target, prop) => timed.get(prop) ?? Reflect.get(target, prop, target) });
};
