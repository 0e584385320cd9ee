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

export const instrumentBus = (bus: Bus, roundTrip: Histogram<'op'>): Bus => {
  for (const op of TIMED) {
    const original = (bus[op] as (...args: unknown[]) => Promise<unknown>).bind(bus);
    const timer = roundTrip.labels(op);
    (bus as unknown as Record<string, unknown>)[op] = async (...args: unknown[]) => {
      const end = timer.startTimer();
      try {
        return await original(...args);
      } finally {
        end();
      }
    };
  }
  return bus;
};
