// What one room's members on this node hear of presence in `batched` and counted rooms (§10.2): at most one
// `presence_diff` and one `occupancy` per window, each holding every change of its window.
import * as out from '../outbound.js';
import type { Occupancy, PresenceDiff } from '../bus/presence.js';

export interface PresenceAudience {
  readonly room: string;
  /** Send to every member (and joiner) of the room on this node, except `except` (a connection id). */
  broadcast(frame: string, except?: string): void;
}

export class RoomPresence {
  /** Net changes of the open window: user → joined with this name, or left. */
  private changes = new Map<string, { name: string } | 'left'>();
  private origins = new Set<string>();
  private diffTimer: NodeJS.Timeout | undefined;
  private counts: Occupancy | undefined;
  private sentCounts: Occupancy | undefined;
  private sentCountsAt = -Infinity;
  private countTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly audience: PresenceAudience,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A node's batch of changes: merged into the window (joined then left within it cancels out). */
  onDiff(origins: readonly string[], diff: PresenceDiff): void {
    for (const { user, name } of diff.joined) {
      if (this.changes.get(user) === 'left') this.changes.delete(user);
      else this.changes.set(user, { name });
    }
    for (const user of diff.left) {
      if (this.changes.get(user) === 'left') continue;
      if (this.changes.has(user)) this.changes.delete(user);
      else this.changes.set(user, 'left');
    }
    for (const origin of origins) this.origins.add(origin);
    this.diffTimer ??= setTimeout(() => this.flushDiff(), this.windowMs);
  }

  private flushDiff(): void {
    this.diffTimer = undefined;
    const joined: Array<{ user: string; name: string }> = [];
    const left: string[] = [];
    for (const [user, change] of this.changes) {
      if (change === 'left') left.push(user);
      else joined.push({ user, name: change.name });
    }
    // A connection that caused every change of the window would only hear about itself: it does not.
    const only = this.origins.size === 1 ? [...this.origins][0] : undefined;
    this.changes = new Map();
    this.origins = new Set();
    if (joined.length + left.length > 0)
      this.audience.broadcast(out.presenceDiff(this.audience.room, joined, left), only);
  }

  /** The room's latest counts: sent now if the window allows, else at its end (the newest counts then). */
  onOccupancy(counts: Occupancy): void {
    this.counts = counts;
    if (this.countTimer) return;
    const wait = this.sentCountsAt + this.windowMs - this.now();
    if (wait <= 0) this.flushCounts();
    else this.countTimer = setTimeout(() => this.flushCounts(), wait);
  }

  private flushCounts(): void {
    this.countTimer = undefined;
    const counts = this.counts;
    if (!counts) return;
    if (this.sentCounts?.users === counts.users && this.sentCounts.connections === counts.connections) return;
    this.sentCounts = counts;
    this.sentCountsAt = this.now();
    this.audience.broadcast(out.occupancy(undefined, this.audience.room, counts));
  }

  stop(): void {
    clearTimeout(this.diffTimer);
    clearTimeout(this.countTimer);
  }
}
