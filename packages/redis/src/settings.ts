// The REDIS_* settings, parsed the same way by every service: one server (REDIS_URL), a Sentinel-managed
// primary (REDIS_SENTINELS + REDIS_SENTINEL_NAME), or a Redis Cluster (REDIS_CLUSTER with a seed REDIS_URL).
import { z } from 'zod';
import type { RedisTarget } from './connection.js';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** The schema's fields, to spread into a service's own environment schema. */
export const redisEnv = {
  REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_CLUSTER: z
    .enum(['true', 'false', '1', '0', ''])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Sentinel: `host:port` of each sentinel, comma-separated, and the monitored primary's name. */
  REDIS_SENTINELS: optionalText.pipe(
    z
      .string()
      .regex(/^[^\s,:]+:\d{1,5}(,[^\s,:]+:\d{1,5})*$/, 'must be host:port[,host:port…]')
      .optional(),
  ),
  REDIS_SENTINEL_NAME: optionalText,
  REDIS_SENTINEL_PASSWORD: optionalText,
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
    .default('chorus'),
};

export interface RedisEnv {
  REDIS_URL?: string;
  REDIS_CLUSTER: boolean;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME?: string;
  REDIS_SENTINEL_PASSWORD?: string;
  REDIS_PREFIX: string;
}

/** The combinations that cannot work, as issues of the service's schema (for its superRefine). */
export const checkRedisEnv = (env: RedisEnv, ctx: z.RefinementCtx): void => {
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'is required with REDIS_SENTINELS' });
  }
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'cannot be combined with REDIS_CLUSTER' });
  }
  if (env.REDIS_CLUSTER && !env.REDIS_URL) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'is required with REDIS_CLUSTER (a seed node)' });
  }
};

/** Where Redis is, or undefined when no REDIS_URL or REDIS_SENTINELS is set. */
export const redisTargetOf = (env: RedisEnv): RedisTarget | undefined =>
  env.REDIS_URL || env.REDIS_SENTINELS
    ? {
        url: env.REDIS_URL,
        cluster: env.REDIS_CLUSTER,
        sentinels: env.REDIS_SENTINELS?.split(',').map((hostPort) => {
          const colon = hostPort.lastIndexOf(':');
          return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
        }),
        sentinelName: env.REDIS_SENTINEL_NAME,
        sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
        prefix: env.REDIS_PREFIX,
      }
    : undefined;
