// Joins of one room on one node share their stream reads (§10.2): while a read is in flight, the joins that
// arrive wait, and the next read, from the lowest `since` among them, serves them all. A join that recovers
// (`since`) also waits a few milliseconds for others: a dead node's clients come back spread over a backoff,
// and then cost the bus a few reads per room, not one per connection.
import { isComplete, type RoomRead } from '../bus/bus.js';

interface Request {
  since: number | undefined;
  epoch: string | undefined;
  resolve: (read: RoomRead) => void;
  reject: (err: unknown) => void;
}

/** How long a recovering join waits for others before its read is issued. */
export const GATHER_MS = 20;

export class SharedReads {
  private waiting: Request[] = [];
  private reading = false;
  private gathering: NodeJS.Timeout | undefined;

  constructor(
    private readonly readSince: (since: number | undefined, epoch: string | undefined) => Promise<RoomRead>,
    private readonly gatherMs = GATHER_MS,
  ) {}

  read(since: number | undefined, epoch: string | undefined): Promise<RoomRead> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ since, epoch, resolve, reject });
      if (this.reading) return;
      if (since === undefined || this.gatherMs === 0) void this.next();
      else this.gathering ??= setTimeout(() => void this.next(), this.gatherMs);
    });
  }

  private async next(): Promise<void> {
    clearTimeout(this.gathering);
    this.gathering = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    this.reading = true;
    // One read per epoch the joiners named (nearly always one): a wrong epoch reads nothing (§10.8).
    const byEpoch = new Map<string | undefined, Request[]>();
    for (const r of batch) byEpoch.set(r.epoch, [...(byEpoch.get(r.epoch) ?? []), r]);
    await Promise.all(
      [...byEpoch].map(async ([epoch, requests]) => {
        const sinces = requests.flatMap((r) => (r.since === undefined ? [] : [r.since]));
        const lowest = sinces.length === 0 ? undefined : Math.min(...sinces);
        try {
          const read = await this.readSince(lowest, epoch);
          for (const r of requests) r.resolve(share(read, r.since, epoch));
        } catch (err) {
          for (const r of requests) r.reject(err);
        }
      }),
    );
    this.reading = false;
    void this.next();
  }
}

/** One joiner's part of a shared read: the messages after its own `since`. */
const share = (read: RoomRead, since: number | undefined, epoch: string | undefined): RoomRead => {
  if (since === undefined) return { epoch: read.epoch, seq: read.seq, messages: [], complete: true };
  const messages = read.messages.filter((m) => m.seq > since);
  const part = { epoch: read.epoch, seq: read.seq, messages };
  return { ...part, complete: isComplete(part, since, epoch) };
};
