// Presence writes of one node, grouped per room: while a room's write is in flight, the next changes wait
// and go together in one script call, so a join or resume storm costs the bus one call per round trip per
// room, not one per connection (§10.2). Leaving is written here once, and retried until the bus takes it.
import type { Member, PresenceChange, PresencePolicy, PresenceStore, UserCount } from '../bus/presence.js';

interface Pending {
  change: PresenceChange;
  resolve: (count: UserCount | undefined) => void;
  reject: (err: unknown) => void;
}

export class PresenceWriter {
  private readonly queues = new Map<string, Pending[]>();
  private readonly writing = new Set<string>();

  constructor(
    private readonly store: PresenceStore,
    private readonly policyOf: (room: string) => PresencePolicy | undefined,
    /** Called with a removal that failed, to run again once the bus is back. */
    private readonly retryLater: (removal: () => Promise<void>) => void,
    /** The room's user count after each batch this node wrote. */
    private readonly counted: (room: string, count: UserCount) => void = () => undefined,
  ) {}

  /**
   * Resolves once the member is in the room's presence, with the room's count as of that write (at once, with
   * nothing, for a room that keeps none).
   */
  join(room: string, member: Member): Promise<UserCount | undefined> {
    return this.write(room, { join: true, member });
  }

  /** Removes the member; a failure is also queued to be retried, so no ghost stays in a room. */
  leave(room: string, member: Member): Promise<void> {
    const removal = () => this.write(room, { join: false, member }).then(() => undefined);
    return removal().catch((err: unknown) => {
      this.retryLater(removal);
      throw err;
    });
  }

  private write(room: string, change: PresenceChange): Promise<UserCount | undefined> {
    if (this.policyOf(room) === undefined) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(room);
      if (queue) queue.push({ change, resolve, reject });
      else this.queues.set(room, [{ change, resolve, reject }]);
      if (!this.writing.has(room)) void this.flush(room);
    });
  }

  private async flush(room: string): Promise<void> {
    const batch = this.queues.get(room);
    this.queues.delete(room);
    if (!batch) return;
    this.writing.add(room);
    try {
      const { users, version } = await this.store.apply(
        room,
        batch.map((p) => p.change),
        this.policyOf(room)!,
      );
      this.counted(room, { users, version });
      for (const p of batch) p.resolve({ users, version });
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.writing.delete(room);
      if (this.queues.has(room)) void this.flush(room);
    }
  }
}
