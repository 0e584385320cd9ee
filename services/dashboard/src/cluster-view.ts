// What the dashboard knows of the cluster: live nodes from their heartbeats, gone ones remembered, history.
import { nodeKeys, type NodeAnnouncement } from '@chorus/redis';
import type { Cluster, Redis } from 'ioredis';

export interface NodeView extends NodeAnnouncement {
  status: 'live' | 'gone';
  /** When the dashboard last saw this node's heartbeat (ms since the epoch). */
  lastSeen: number;
  uptimeS: number;
}

export interface ClusterSnapshot {
  at: number;
  nodes: NodeView[];
  totals: { nodes: number; connections: number; users: number; rooms: number; inPerSec: number; outPerSec: number };
  /** Per node: [ms since the epoch, connections] points, oldest first. */
  history: Record<string, Array<[number, number]>>;
}

export class ClusterView {
  private readonly nodes = new Map<string, NodeView>();
  private readonly history = new Map<string, Array<[number, number]>>();
  private readonly keys;

  constructor(
    private readonly redis: Redis | Cluster,
    prefix: string,
    private readonly options: { historyPoints: number; goneRetentionS: number },
  ) {
    this.keys = nodeKeys(prefix);
  }

  /** Read every heartbeat once; nodes whose heartbeat expired become `gone`. */
  async poll(now = Date.now()): Promise<ClusterSnapshot> {
    const known = await this.redis.zrange(this.keys.known, 0, -1);
    const beats = known.length > 0 ? await this.redis.mget(...known.map((n) => this.keys.stats(n))) : [];
    const live = new Set<string>();
    for (const beat of beats) {
      if (!beat) continue;
      const stats = JSON.parse(beat) as NodeAnnouncement;
      live.add(stats.node);
      this.nodes.set(stats.node, {
        ...stats,
        status: 'live',
        lastSeen: now,
        uptimeS: Math.round((now - stats.startedAt) / 1000),
      });
    }
    for (const [name, view] of this.nodes) {
      if (live.has(name)) continue;
      if (view.status === 'live')
        this.nodes.set(name, {
          ...view,
          status: 'gone',
          connections: 0,
          users: 0,
          rooms: 0,
          inPerSec: 0,
          outPerSec: 0,
        });
      if (now - view.lastSeen > this.options.goneRetentionS * 1000) {
        this.nodes.delete(name);
        this.history.delete(name);
      }
    }
    for (const [name, view] of this.nodes) {
      const points = this.history.get(name) ?? [];
      points.push([now, view.connections]);
      if (points.length > this.options.historyPoints) points.shift();
      this.history.set(name, points);
    }
    return this.snapshot(now);
  }

  snapshot(now = Date.now()): ClusterSnapshot {
    const nodes = [...this.nodes.values()].sort((a, b) => a.node.localeCompare(b.node));
    const liveNodes = nodes.filter((n) => n.status === 'live');
    const sum = (pick: (n: NodeView) => number) => liveNodes.reduce((total, n) => total + pick(n), 0);
    return {
      at: now,
      nodes,
      totals: {
        nodes: liveNodes.length,
        connections: sum((n) => n.connections),
        users: sum((n) => n.users),
        rooms: sum((n) => n.rooms),
        inPerSec: sum((n) => n.inPerSec),
        outPerSec: sum((n) => n.outPerSec),
      },
      history: Object.fromEntries(this.history),
    };
  }
}
