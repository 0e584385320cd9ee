// Picks the bus from config: Redis when REDIS_URL is set, otherwise a hub in process memory with this node.
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { MemoryHub } from './memory/hub.js';
import { RedisBus } from './redis/bus.js';
import type { Config } from '../config.js';
import type { PresencePolicy } from './presence.js';

export const createBus = (config: Config, log: Logger): Bus => {
  const history = (room: string) => {
    const options = config.namespaces.of(room);
    return { size: options.history, ttlS: options.historyTtlS };
  };
  return config.redis
    ? new RedisBus(
        {
          ...config.redis,
          node: config.nodeId,
          history,
          presencePolicy: (room) => presencePolicy(config, room),
          inbox: config.inbox,
          timeoutMs: config.busTimeoutMs,
        },
        log,
      )
    : new MemoryHub({ history, inbox: config.inbox }).attach(config.nodeId);
};

/** How a room announces presence changes, from its namespace; undefined for rooms that keep no presence. */
export const presencePolicy = (config: Config, room: string): PresencePolicy | undefined => {
  const { presence: mode } = config.namespaces.of(room);
  return mode === 'off' ? undefined : { mode, eachMax: config.presence.eachMax, batchMax: config.presence.batchMax };
};
