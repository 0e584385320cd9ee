// The gateway's configuration: one zod schema over the environment, parsed once, frozen.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { checkRedisEnv, redisEnv, redisTargetOf } from '@chorus/redis';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '@chorus/protocol';
import { Namespaces, namespacesSchema } from './namespaces.js';

const int = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);
const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z
  .object({
    PORT: int(8080, 0).pipe(z.number().max(65_535)),
    HOST: z.string().min(1).default('0.0.0.0'),
    NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)
      .optional(),
    ...redisEnv,
    AUTH_MODE: z.enum(['dev', 'jwt']).optional(),
    JWT_SECRET: optionalText,
    JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    JWT_AUDIENCE: optionalText,
    JWT_ISSUER: optionalText,
    ALLOWED_ORIGINS: optionalText,
    ADMIN_TOKEN: optionalText,
    MAX_CONNECTIONS: int(100_000),
    MAX_CONNECTIONS_PER_USER: int(100),
    MAX_FRAME_BYTES: int(DEFAULT_LIMITS.maxFrameBytes, 64),
    MAX_BODY_BYTES: int(DEFAULT_LIMITS.maxBodyBytes),
    RATE_PER_SEC: int(DEFAULT_LIMITS.ratePerSec),
    USER_RATE_PER_SEC: z.coerce.number().int().min(1).optional(),
    USER_CONNECTS_PER_SEC: int(50),
    POLICY_CLOSES_PER_MIN: int(5),
    MAX_ROOMS: int(DEFAULT_LIMITS.maxRooms),
    MAX_BACKPRESSURE_BYTES: int(1_048_576, 1024),
    HEARTBEAT_MS: int(25_000, 100),
    HISTORY_SIZE: int(1_000),
    HISTORY_TTL_S: int(86_400),
    INBOX_SIZE: int(1_000),
    INBOX_TTL_S: int(604_800),
    INBOX_UNSEEN_TTL_S: int(86_400),
    NAMESPACES: optionalText,
    NAMESPACES_FILE: optionalText,
    PRESENCE_EACH_MAX: int(200),
    PRESENCE_BATCH_MS: int(250, 10),
    PRESENCE_BATCH_MAX: int(2_000),
    DM_BYTES_PER_MIN: int(1_048_576),
    DRAIN_MS: int(10_000, 0),
    /**
     * permessage-deflate for clients that offer it: `shared` (one compressor, no context kept between
     * messages) or `dedicated` (a 4 KB window per socket: smaller frames, more memory and CPU).
     */
    COMPRESSION: z.enum(['off', 'shared', 'dedicated']).default('off'),
    BUS_TIMEOUT_MS: int(5_000, 50),
    /**
     * `lean`: V8 collects to keep the heap small (its --optimize-for-size), so the memory a connection storm
     * grew is given back within seconds; `fast`: V8's defaults. The trade-off is in docs/benchmarks.md.
     */
    HEAP_MODE: z.enum(['lean', 'fast']).default('fast'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ALLOW_JS_FALLBACK: flag,
  })
  .superRefine((env, ctx) => {
    checkRedisEnv(env, ctx);
    if (env.NAMESPACES && env.NAMESPACES_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['NAMESPACES_FILE'],
        message: 'give NAMESPACES or NAMESPACES_FILE, not both',
      });
    }
    if (env.MAX_BODY_BYTES > env.MAX_FRAME_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['MAX_BODY_BYTES'], message: 'must not exceed MAX_FRAME_BYTES' });
    }
    if (env.DM_BYTES_PER_MIN < env.MAX_BODY_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['DM_BYTES_PER_MIN'], message: 'must be at least MAX_BODY_BYTES' });
    }
    if (env.ADMIN_TOKEN !== undefined && isWellKnownToken(env.ADMIN_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message:
          'is a well-known placeholder (or under 16 characters): set a random secret, e.g. `openssl rand -hex 32`',
      });
    }
  });

export type Env = z.input<typeof envSchema>;

/** NAMESPACES (JSON) or the file NAMESPACES_FILE names, validated; problems name the namespace and option. */
const parseNamespaces = (
  env: { NAMESPACES?: string | undefined; NAMESPACES_FILE?: string | undefined },
  problems: string[],
): z.output<typeof namespacesSchema> => {
  const source = env.NAMESPACES_FILE ? 'NAMESPACES_FILE' : 'NAMESPACES';
  let text = env.NAMESPACES;
  if (env.NAMESPACES_FILE) {
    try {
      text = readFileSync(env.NAMESPACES_FILE, 'utf8');
    } catch (err) {
      problems.push(`NAMESPACES_FILE: cannot read ${env.NAMESPACES_FILE} (${(err as Error).message})`);
      return {};
    }
  }
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    problems.push(`${source}: not valid JSON`);
    return {};
  }
  const parsed = namespacesSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const keys = 'keys' in issue ? ` ${(issue.keys as string[]).map((k) => JSON.stringify(k)).join(', ')}` : '';
    const where =
      issue.path.length > 0
        ? `namespace ${issue.path.map((p) => JSON.stringify(String(p))).join(' option ')}`
        : 'value';
    problems.push(`${source}: ${where}: ${issue.message}${keys && !issue.message.includes(keys.trim()) ? keys : ''}`);
  }
  return {};
};

/** Placeholders that example files ship and operators forget to change. */
const WELL_KNOWN_TOKENS = ['change-me', 'changeme', 'change_me', 'admin', 'secret', 'password', 'token', 'test'];
const isWellKnownToken = (token: string): boolean =>
  WELL_KNOWN_TOKENS.includes(token.toLowerCase()) || token.length < 16;

const toConfig = (env: z.output<typeof envSchema>, namespaces: z.output<typeof namespacesSchema>) => ({
  port: env.PORT,
  host: env.HOST,
  nodeId:
    env.NODE_ID ??
    `${
      hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '')
        .slice(0, 40) || 'node'
    }-${process.pid}`,
  redis: redisTargetOf(env),
  auth: {
    // Without JWT settings the default is dev mode: `?user=` is trusted.
    mode: env.AUTH_MODE ?? (env.JWT_SECRET || env.JWKS_URL ? 'jwt' : 'dev'),
    jwtSecret: env.JWT_SECRET,
    jwksUrl: env.JWKS_URL,
    jwtAudience: env.JWT_AUDIENCE,
    jwtIssuer: env.JWT_ISSUER,
  },
  allowedOrigins: env.ALLOWED_ORIGINS
    ? new Set(
        env.ALLOWED_ORIGINS.split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
    : undefined,
  adminToken: env.ADMIN_TOKEN,
  maxConnections: env.MAX_CONNECTIONS,
  maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
  // Per user on this node, across its connections and reconnections (beyond the protocol's per-connection
  // limit, which a client could otherwise refill by reconnecting): frames, and accepted upgrades.
  userRatePerSec: env.USER_RATE_PER_SEC ?? 4 * env.RATE_PER_SEC,
  userConnectsPerSec: env.USER_CONNECTS_PER_SEC,
  // A user whose sockets were closed with 1008 this many times in a minute is refused (429) until it cools down.
  policyClosesPerMin: env.POLICY_CLOSES_PER_MIN,
  limits: {
    maxFrameBytes: env.MAX_FRAME_BYTES,
    maxBodyBytes: env.MAX_BODY_BYTES,
    ratePerSec: env.RATE_PER_SEC,
    maxRooms: env.MAX_ROOMS,
  },
  maxBackpressureBytes: env.MAX_BACKPRESSURE_BYTES,
  compression: env.COMPRESSION,
  heartbeatMs: env.HEARTBEAT_MS,
  history: { size: env.HISTORY_SIZE, ttlS: env.HISTORY_TTL_S },
  namespaces: new Namespaces(
    { presence: 'each', history: env.HISTORY_SIZE, historyTtlS: env.HISTORY_TTL_S, publish: 'members', signals: true },
    namespaces,
  ),
  presence: { eachMax: env.PRESENCE_EACH_MAX, batchMs: env.PRESENCE_BATCH_MS, batchMax: env.PRESENCE_BATCH_MAX },
  inbox: { size: env.INBOX_SIZE, ttlS: env.INBOX_TTL_S, unseenTtlS: Math.min(env.INBOX_UNSEEN_TTL_S, env.INBOX_TTL_S) },
  /** What one sender may store in other users' inboxes per minute on this node (§10.8). */
  dmBytesPerMin: env.DM_BYTES_PER_MIN,
  drainMs: env.DRAIN_MS,
  busTimeoutMs: env.BUS_TIMEOUT_MS,
  heapMode: env.HEAP_MODE,
  logLevel: env.LOG_LEVEL,
  allowJsFallback: env.ALLOW_JS_FALLBACK,
});

export type Config = Readonly<ReturnType<typeof toConfig>>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parse the environment once. Throws ConfigError listing every bad variable. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): Config => {
  const parsed = envSchema.safeParse(env);
  // Checked on the raw strings too, so one run reports it alongside any field errors.
  const problems =
    env.AUTH_MODE === 'jwt' && !env.JWT_SECRET?.trim() && !env.JWKS_URL?.trim()
      ? ['AUTH_MODE: jwt needs JWT_SECRET or JWKS_URL']
      : [];
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`));
  const namespaces = parseNamespaces(env, problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(toConfig(parsed.data, namespaces));
};

const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !(value instanceof Set) && !(value instanceof Namespaces)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
};
