// Picks the bus from config: Redis when REDIS_URL is set, otherwise the embedded in-memory bus.
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { MemoryBus } from './bus.memory.js';
import { RedisBus } from './bus.redis.js';
import type { Config } from '../config.js';

export const createBus = (config: Config, log: Logger): Bus =>
  config.redis
    ? new RedisBus(
        {
          ...config.redis,
          node: config.nodeId,
          history: config.history,
          inbox: config.inbox,
          timeoutMs: config.busTimeoutMs,
        },
        log,
      )
    : new MemoryBus({ history: config.history, inbox: config.inbox });
