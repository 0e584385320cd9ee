// Picks the bus from config: Redis when REDIS_URL is set, otherwise the embedded in-memory bus.
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import { MemoryBus } from './bus.memory.js';
import type { Config } from '../config.js';

export const createBus = async (config: Config, log: Logger): Promise<Bus> => {
  if (!config.redis) return new MemoryBus({ history: config.history, inbox: config.inbox });
  log.fatal('REDIS_URL is set, but this build has only the in-memory bus');
  throw new Error('the Redis bus is not part of this build');
};
