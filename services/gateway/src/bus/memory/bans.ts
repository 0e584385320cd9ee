// Bans in process memory, shared by every node of a hub.
import type { Bans } from '../bans.js';

export class MemoryBans implements Bans {
  private readonly bans = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  async ban(user: string, until: number): Promise<void> {
    if (until > this.now()) this.bans.set(user, until);
    else this.bans.delete(user);
  }

  async bannedUntil(user: string): Promise<number | undefined> {
    const until = this.bans.get(user);
    if (until === undefined || until > this.now()) return until;
    this.bans.delete(user);
    return undefined;
  }

  sweep(): void {
    const now = this.now();
    for (const [user, until] of this.bans) if (until <= now) this.bans.delete(user);
  }
}
