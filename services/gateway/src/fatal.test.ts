import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { exitOnFatalErrors } from './fatal.js';

describe('exitOnFatalErrors', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());
  const setup = (drain: () => Promise<void>) => {
    const proc = Object.assign(new EventEmitter(), { exit: vi.fn() });
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    exitOnFatalErrors(proc, log, drain, 5_000);
    return { proc, lines };
  };

  it.each(['uncaughtException', 'unhandledRejection'])('on %s: logs, drains once, then exits 1', async (event) => {
    const drain = vi.fn(() => Promise.resolve());
    const { proc, lines } = setup(drain);
    proc.emit(event, new Error('boom'));
    proc.emit(event, new Error('again'));
    await vi.advanceTimersByTimeAsync(0);
    expect(drain).toHaveBeenCalledTimes(1);
    expect(proc.exit).toHaveBeenCalledWith(1);
    expect(lines.map((l) => JSON.parse(l).level as number)).toEqual([60, 60]);
    expect(lines[0]).toContain('boom');
  });
  it('exits 1 even when the drain hangs', async () => {
    const { proc } = setup(() => new Promise(() => undefined));
    proc.emit('uncaughtException', new Error('boom'));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(proc.exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(proc.exit).toHaveBeenCalledWith(1);
  });
});
