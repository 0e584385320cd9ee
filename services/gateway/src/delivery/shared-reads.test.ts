import { describe, expect, it, vi } from 'vitest';
import type { RoomRead } from '../bus/bus.js';
import { SharedReads } from './shared-reads.js';

/** A room at seq 10 in epoch E whose stream keeps seqs 4..10. */
const room = (since: number | undefined, epoch: string | undefined): RoomRead => {
  const messages =
    since === undefined || (epoch !== undefined && epoch !== 'E')
      ? []
      : [4, 5, 6, 7, 8, 9, 10].filter((s) => s > since).map((seq) => ({ seq, frame: `m${seq}` }));
  return { epoch: 'E', seq: 10, messages, complete: false };
};

describe('SharedReads', () => {
  it('serves every join waiting behind a read with one read from the lowest since', async () => {
    const calls: Array<[number | undefined, string | undefined]> = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reads = new SharedReads(async (since, epoch) => {
      calls.push([since, epoch]);
      await gate;
      return room(since, epoch);
    }, 0);
    const first = reads.read(9, 'E');
    const rest = [reads.read(8, 'E'), reads.read(5, 'E'), reads.read(undefined, undefined), reads.read(2, 'E')];
    release();
    const [a, b, c, d, e] = await Promise.all([first, ...rest]);
    expect(calls).toEqual([
      [9, 'E'],
      [2, 'E'],
      [undefined, undefined],
    ]);
    expect(a!.messages.map((m) => m.seq)).toEqual([10]);
    expect(b).toMatchObject({ complete: true, seq: 10 });
    expect(b!.messages.map((m) => m.seq)).toEqual([9, 10]);
    expect(c!.messages.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10]);
    expect(d).toMatchObject({ messages: [], complete: true });
    expect(e).toMatchObject({ complete: false }); // 3 was trimmed
  });
  it('reads nothing for a wrong epoch, and fails only the joins of a failed read', async () => {
    const reads = new SharedReads(async (since, epoch) => {
      if (epoch === 'boom') throw new Error('bus down');
      return room(since, epoch);
    }, 0);
    const [wrong, failed] = await Promise.allSettled([reads.read(3, 'old'), reads.read(3, 'boom')]);
    expect(wrong).toMatchObject({ status: 'fulfilled', value: { messages: [], complete: false } });
    expect(failed).toMatchObject({ status: 'rejected' });
  });
});

describe('SharedReads gathering recovering joins', () => {
  it('holds a join with since for a moment so that joins arriving close together share one read', async () => {
    vi.useFakeTimers();
    try {
      const calls: Array<number | undefined> = [];
      const reads = new SharedReads(async (since) => {
        calls.push(since);
        return room(since, 'E');
      }, 20);
      const a = reads.read(8, 'E');
      await vi.advanceTimersByTimeAsync(10);
      const b = reads.read(6, 'E');
      expect(calls).toEqual([]);
      await vi.advanceTimersByTimeAsync(10);
      expect(calls).toEqual([6]);
      expect((await a).messages.map((m) => m.seq)).toEqual([9, 10]);
      expect((await b).messages.map((m) => m.seq)).toEqual([7, 8, 9, 10]);
      // a join without since (it needs only where the room is) does not wait
      const c = reads.read(undefined, undefined);
      await vi.advanceTimersByTimeAsync(0);
      expect(calls).toEqual([6, undefined]);
      await c;
    } finally {
      vi.useRealTimers();
    }
  });
});
