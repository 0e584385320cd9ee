// One harness for every bus: a memory node, or N gateway processes sharing one redis-server or a Redis Cluster.
import { startRedis, startRedisCluster, type RedisProcess } from './redis.js';
import { startNode, type NodeProcess } from './services.js';

export type BusKind = 'memory' | 'redis' | 'redis-cluster';

export interface Cluster extends AsyncDisposable {
  readonly bus: BusKind;
  readonly nodes: NodeProcess[];
  readonly redis: RedisProcess | undefined;
  /** The key prefix the nodes share on Redis (unique per cluster, so tests never collide). */
  readonly prefix: string | undefined;
  /** The ws URL of node i (modulo the node count, so tests can spread clients). */
  url(i?: number): string;
  http(i?: number): string;
}

export interface ClusterOptions {
  bus: BusKind;
  nodes?: number;
  env?: Record<string, string>;
}

let prefixes = 0;

export const startCluster = async ({
  bus,
  nodes = bus === 'memory' ? 1 : 3,
  env = {},
}: ClusterOptions): Promise<Cluster> => {
  const redis = bus === 'redis' ? await startRedis() : bus === 'redis-cluster' ? await startRedisCluster() : undefined;
  const shared: Record<string, string> = redis
    ? {
        REDIS_URL: redis.url,
        REDIS_PREFIX: `t${process.pid}x${prefixes++}`,
        REDIS_CLUSTER: String(bus === 'redis-cluster'),
      }
    : {};
  const results = await Promise.allSettled(
    Array.from({ length: bus === 'memory' ? 1 : nodes }, (_, i) =>
      startNode({ NODE_ID: `n${i + 1}`, ...shared, ...env }),
    ),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    // Do not leave half a cluster running.
    await Promise.all(started.map((n) => n.kill('SIGKILL')));
    await redis?.[Symbol.asyncDispose]();
    throw failure.reason;
  }
  return {
    bus,
    nodes: started,
    redis,
    prefix: shared.REDIS_PREFIX,
    url: (i = 0) => started[i % started.length]!.url,
    http: (i = 0) => started[i % started.length]!.http,
    [Symbol.asyncDispose]: async () => {
      await Promise.all(started.map((n) => n.kill('SIGKILL')));
      await redis?.[Symbol.asyncDispose]();
    },
  };
};
