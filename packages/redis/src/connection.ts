// How a service reaches Redis: one server (REDIS_URL), a Sentinel-managed primary (REDIS_SENTINELS), or a Redis
// Cluster (REDIS_CLUSTER). Each gives a command client and a subscriber client with the same failure policy.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
export type Client = Redis | Cluster;

export interface RedisTarget {
  /** Also the source of username, password and TLS (`rediss:`) with Sentinel; its host is then unused. */
  url: string | undefined;
  cluster: boolean;
  sentinels: Array<{ host: string; port: number }> | undefined;
  sentinelName: string | undefined;
  sentinelPassword: string | undefined;
  /** What every key and channel of this deployment starts with (REDIS_PREFIX). */
  prefix: string;
}

const credentials = (url: string | undefined) => {
  if (!url) return {};
  const parsed = new URL(url);
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
};

/** Returns the command client and the subscriber (the same object for a Cluster, which shards subscriptions). */
export const connectRedis = (target: RedisTarget, timeoutMs: number): { cmd: Client; sub: Client } => {
  // Fail fast rather than queue: a command the bus cannot take now is `unavailable`, never applied late.
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    // A partitioned server never answers the SYN either: give up on a connect as soon as on a command.
    connectTimeout: Math.max(1_000, timeoutMs),
    retryStrategy: (times) => Math.min(50 * times, 1000),
    // Commands issued in the same tick leave in one write: under load, far fewer syscalls to Redis.
    enableAutoPipelining: true,
    // After a failover the old primary comes back as a replica: a write it refuses means "find the primary".
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
  };
  if (target.cluster) {
    const url = new URL(target.url!);
    const cluster = new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      lazyConnect: true,
      enableOfflineQueue: false,
      shardedSubscribers: true,
      clusterRetryStrategy: (times) => Math.min(100 * times, 1000),
      // A master that dies answers nothing (no MOVED to follow): ask for the slot map every second, so a
      // promoted replica is found within about a second of its promotion.
      slotsRefreshInterval: 1_000,
      redisOptions: { ...common, ...credentials(target.url) },
    });
    return { cmd: cluster, sub: cluster };
  }
  if (target.sentinels) {
    const sentinel: RedisOptions = {
      ...common,
      ...credentials(target.url),
      sentinels: target.sentinels,
      name: target.sentinelName,
      sentinelPassword: target.sentinelPassword,
      enableTLSForSentinelMode: target.url?.startsWith('rediss:') ?? false,
      sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
      // Ask the sentinels again after every lost connection: the primary may have moved.
      failoverDetector: true,
    };
    return { cmd: new Redis(sentinel), sub: new Redis({ ...sentinel, commandTimeout: undefined }) };
  }
  return { cmd: new Redis(target.url!, common), sub: new Redis(target.url!, { ...common, commandTimeout: undefined }) };
};
