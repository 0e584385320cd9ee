// The Redis bus: every concern's Redis driver over one link (one Redis, Sentinel or a Redis Cluster).
import type { Logger } from 'pino';
import type { RedisTarget } from '@chorus/redis';
import type { Bus, BusListener } from '../bus.js';
import type { InboxRetention, Retention } from '../message-log.js';
import type { PresencePolicy } from '../presence.js';
import { RedisBans } from './bans.js';
import { RedisBroker } from './broker.js';
import { RedisLink } from './link.js';
import { RedisMessageLog } from './message-log.js';
import { RedisPresence } from './presence.js';
import { RedisRegistry } from './registry.js';

export interface RedisBusOptions extends RedisTarget {
  node: string;
  /** Each room's history (its namespace's `history` and `historyTtlS`). */
  history: (room: string) => Retention;
  /** Each room's presence policy, for clearing a dead node's members (undefined: the room keeps none). */
  presencePolicy: (room: string) => PresencePolicy | undefined;
  inbox: InboxRetention;
  timeoutMs: number;
}

export class RedisBus implements Bus {
  readonly kind = 'redis';
  private readonly link: RedisLink;
  readonly broker: RedisBroker;
  readonly messages: RedisMessageLog;
  readonly presence: RedisPresence;
  readonly registry: RedisRegistry;
  readonly bans: RedisBans;

  constructor(
    private readonly options: RedisBusOptions,
    log: Logger,
  ) {
    this.link = new RedisLink(options, options.timeoutMs, log);
    const { cmd } = this.link;
    this.broker = new RedisBroker(this.link, options, log);
    this.messages = new RedisMessageLog(cmd, options, log);
    this.presence = new RedisPresence(
      cmd,
      { prefix: options.prefix, node: options.node, sharded: options.cluster },
      log,
    );
    this.registry = new RedisRegistry(cmd, options, this.presence, log);
    this.bans = new RedisBans(cmd, options.prefix, log);
  }

  get connected(): boolean {
    return this.link.connected;
  }

  async start(listener: BusListener): Promise<void> {
    await this.link.start(listener, (id, closed) => this.broker.answerKick(id, closed));
    // A node restarted under the same id leaves presence of its previous life: clear it first.
    await this.presence.reap(this.options.node, this.options.presencePolicy);
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
