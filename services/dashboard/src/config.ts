// The dashboard's configuration: one zod schema over the environment, parsed once.
import { checkRedisEnv, redisEnv, redisTargetOf } from '@chorus/redis';
import { z } from 'zod';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(8090),
  // Loopback unless told otherwise: the page shows the whole cluster (§10.8, audit item 8).
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Who may read the data: DASHBOARD_TOKEN, or else the gateways' ADMIN_TOKEN. */
  DASHBOARD_TOKEN: optionalText,
  ADMIN_TOKEN: optionalText,
  /** A gateway, or the load balancer in front of them, for the admin actions (rooms, users, disconnect, ban). */
  GATEWAY_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Event streams one client address may hold open. */
  STREAMS_PER_ADDRESS: z.coerce.number().int().min(1).default(10),
  ...redisEnv,
  POLL_MS: z.coerce.number().int().min(100).default(1_000),
  /** Points of connection history kept per node for the chart (at POLL_MS each). */
  HISTORY_POINTS: z.coerce.number().int().min(10).default(300),
  /** How long a node that stopped beating stays on the page, marked gone. */
  GONE_RETENTION_S: z.coerce.number().int().min(0).default(300),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const withToken = schema
  .transform((env) => ({ ...env, token: env.DASHBOARD_TOKEN ?? env.ADMIN_TOKEN, redis: redisTargetOf(env) }))
  .superRefine((env, ctx) => {
    // the same Redis settings as the gateways: one server, Sentinel, or a Cluster
    checkRedisEnv(env, ctx);
    if (!env.redis) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'REDIS_URL or REDIS_SENTINELS is required' });
    }
    if (!env.token && !LOOPBACK.has(env.HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['DASHBOARD_TOKEN'],
        message: `required to listen on ${env.HOST} (set DASHBOARD_TOKEN or ADMIN_TOKEN, or HOST=127.0.0.1)`,
      });
    }
  });

export type DashboardConfig = z.output<typeof withToken>;

export const loadConfig = (env: Record<string, string | undefined> = process.env): DashboardConfig => {
  const parsed = withToken.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join('.') || 'env'}: ${i.message}`);
    throw new Error(`invalid configuration:\n${problems.join('\n')}`);
  }
  return Object.freeze(parsed.data);
};
