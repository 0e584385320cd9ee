// The node registry in process memory: each node's last announcement, until its lease runs out.
import { biggestRooms, type NodeAnnouncement, type Registry, type RoomCount } from '../registry.js';

export class MemoryRegistry implements Registry {
  private readonly leases = new Map<string, { stats: NodeAnnouncement; topRooms: RoomCount[]; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  async announce(stats: NodeAnnouncement, ttlMs: number, topRooms: RoomCount[]): Promise<void> {
    this.leases.set(stats.node, { stats, topRooms, expiresAt: this.now() + ttlMs });
  }

  async nodes(): Promise<NodeAnnouncement[]> {
    return this.live().map((n) => n.stats);
  }

  async topRooms(limit: number): Promise<RoomCount[]> {
    return biggestRooms(
      this.live().map((n) => n.topRooms),
      limit,
    );
  }

  private live() {
    const now = this.now();
    for (const [node, lease] of this.leases) if (lease.expiresAt <= now) this.leases.delete(node);
    return [...this.leases.values()];
  }
}
