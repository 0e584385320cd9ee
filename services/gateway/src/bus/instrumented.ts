// Times every bus request into the round-trip histogram, without the drivers knowing about metrics.
import type { Histogram } from 'prom-client';
import type { Bus } from './bus.js';

/** The requests timed, per concern: the op label is the method's name. */
const TIMED = {
  messages: ['publishRoom', 'roomSince', 'roomHistory', 'sendDm', 'inbox', 'confirm'],
  broker: ['subscribeRoom', 'subscribeUser'],
  registry: ['announce'],
} as const satisfies { [C in keyof Bus]?: ReadonlyArray<keyof Bus[C]> };

/**
 * The same bus, with each timed request observed in the histogram: a wrapper (the drivers are untouched),
 * whose timed methods are made once, not per call.
 */
export const timedBus = (bus: Bus, roundTrip: Histogram<'op'>): Bus => {
  const concerns = new Map<PropertyKey, object>();
  for (const [concern, ops] of Object.entries(TIMED) as Array<[keyof typeof TIMED, readonly string[]]>) {
    concerns.set(concern, timed(bus[concern], ops, roundTrip));
  }
  return new Proxy(bus, { get: (target, prop) => concerns.get(prop) ?? Reflect.get(target, prop, target) });
};

const timed = <T extends object>(target: T, ops: readonly string[], roundTrip: Histogram<'op'>): T => {
  const methods = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  for (const op of ops) {
    const original = (Reflect.get(target, op) as (...args: unknown[]) => Promise<unknown>).bind(target);
    const timer = roundTrip.labels(op);
    methods.set(op, async (...args) => {
      const end = timer.startTimer();
      try {
        return await original(...args);
      } finally {
        end();
      }
    });
  }
  return new Proxy(target, { get: (t, prop) => methods.get(prop) ?? Reflect.get(t, prop, t) });
};
