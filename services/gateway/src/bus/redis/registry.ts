// The node registry in Redis: each node's heartbeat (lease, stats, biggest rooms), the list of live nodes, and
// the reaper that clears the presence of a node whose lease expired.
import type { Logger } from 'pino';
import { biggestRooms, type NodeAnnouncement, type Registry, type RoomCount } from '../registry.js';
import { nodeKeys } from '@chorus/redis';
import type { PresencePolicy } from '../presence.js';
import { REAPER_LOCK_MS, type RedisPresence } from './presence.js';
import { busError, type Client } from './commands.js';

export class RedisRegistry implements Registry {
  private readonly keys;

  constructor(
    private readonly cmd: Client,
    private readonly options: {
      prefix: string;
      node: string;
      presencePolicy: (room: string) => PresencePolicy | undefined;
    },
    private readonly presence: RedisPresence,
    private readonly log: Logger,
  ) {
    this.keys = nodeKeys(options.prefix);
  }

  async announce(stats: NodeAnnouncement, ttlMs: number, topRooms: RoomCount[]): Promise<void> {
    const { node } = this.options;
    await Promise.all([
      this.cmd.set(this.keys.lease(node), String(Date.now()), 'PX', ttlMs),
      this.cmd.set(this.keys.stats(node), JSON.stringify(stats), 'PX', ttlMs),
      this.cmd.set(this.keys.topRooms(node), JSON.stringify(topRooms), 'PX', ttlMs),
      this.cmd.zadd(this.keys.known, Date.now(), node),
    ]);
    await this.reapDeadNodes();
  }

  async topRooms(limit: number): Promise<RoomCount[]> {
    try {
      const known = await this.cmd.zrange(this.keys.known, 0, -1);
      if (known.length === 0) return [];
      const lists = await this.cmd.mget(...known.map((n) => this.keys.topRooms(n)));
      return biggestRooms(
        lists.filter((l): l is string => l !== null).map((l) => JSON.parse(l) as RoomCount[]),
        limit,
      );
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async nodes(): Promise<NodeAnnouncement[]> {
    const known = await this.cmd.zrange(this.keys.known, 0, -1);
    if (known.length === 0) return [];
    const stats = await this.cmd.mget(...known.map((n) => this.keys.stats(n)));
    return stats.filter((s): s is string => s !== null).map((s) => JSON.parse(s) as NodeAnnouncement);
  }

  /** Any live node that sees a known node without a lease takes a short lock and clears its presence. */
  private async reapDeadNodes(): Promise<void> {
    const known = await this.cmd.zrange(this.keys.known, 0, -1);
    for (const node of known) {
      if (node === this.options.node) continue;
      if ((await this.cmd.exists(this.keys.lease(node))) === 1) continue;
      const lock = this.keys.reaper(node);
      if ((await this.cmd.set(lock, this.options.node, 'PX', REAPER_LOCK_MS, 'NX')) !== 'OK') continue;
      this.log.warn({ deadNode: node }, 'node lease expired; removing its presence');
      // Renewed after each batch: a long reap must not lose its lock and be started again elsewhere.
      await this.presence.reap(node, this.options.presencePolicy, () => this.cmd.pexpire(lock, REAPER_LOCK_MS));
      await this.cmd.zrem(this.keys.known, node);
    }
  }
}
