import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives the documented defaults and dev auth without JWT settings', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      redis: undefined,
      auth: { mode: 'dev' },
      maxConnections: 100_000,
      limits: { maxFrameBytes: 65536, maxBodyBytes: 16384, ratePerSec: 50, maxRooms: 100 },
      maxBackpressureBytes: 1_048_576,
      heartbeatMs: 25_000,
      history: { size: 1000, ttlS: 86_400 },
      inbox: { size: 1000, ttlS: 604_800 },
      maxConnectionsPerUser: 100,
      userRatePerSec: 200,
      userConnectsPerSec: 50,
      policyClosesPerMin: 5,
    });
    expect(loadConfig({ RATE_PER_SEC: '10' }).userRatePerSec).toBe(40); // follows RATE_PER_SEC unless set
    expect(loadConfig({ RATE_PER_SEC: '10', USER_RATE_PER_SEC: '15' }).userRatePerSec).toBe(15);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
  });
  it('switches to jwt when a secret is given, and splits ALLOWED_ORIGINS', () => {
    const config = loadConfig({ JWT_SECRET: 's', ALLOWED_ORIGINS: 'https://a.example, https://b.example' });
    expect(config.auth.mode).toBe('jwt');
    expect([...config.allowedOrigins!]).toEqual(['https://a.example', 'https://b.example']);
  });
  it('fails listing every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'eighty', RATE_PER_SEC: '0', REDIS_URL: 'http://x', AUTH_MODE: 'jwt' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const names = (err as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(names).toEqual(expect.arrayContaining(['PORT', 'RATE_PER_SEC', 'REDIS_URL', 'AUTH_MODE']));
    }
  });
  it('takes HEAP_MODE fast (the default) or lean, and names anything else', () => {
    expect(loadConfig({}).heapMode).toBe('fast');
    expect(loadConfig({ HEAP_MODE: 'lean' }).heapMode).toBe('lean');
    expect(() => loadConfig({ HEAP_MODE: 'tiny' })).toThrow(/HEAP_MODE/);
  });
  it('takes COMPRESSION off (the default), shared or dedicated, and names anything else', () => {
    expect(loadConfig({}).compression).toBe('off');
    expect(loadConfig({ COMPRESSION: 'dedicated' }).compression).toBe('dedicated');
    expect(() => loadConfig({ COMPRESSION: 'gzip' })).toThrow(/COMPRESSION/);
  });

  it('refuses bad per-user limits by name', () => {
    const bad = { USER_RATE_PER_SEC: 'many', USER_CONNECTS_PER_SEC: '0', POLICY_CLOSES_PER_MIN: '-1' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (err) {
      const names = (err as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(names).toEqual(['USER_RATE_PER_SEC', 'USER_CONNECTS_PER_SEC', 'POLICY_CLOSES_PER_MIN']);
    }
  });
});

describe('NAMESPACES', () => {
  it('parses a table and resolves rooms through it', () => {
    const config = loadConfig({
      NAMESPACES: '{"*":{"history":50},"live":{"presence":"batched"},"ann":{"presence":"count","publish":"server"}}',
    });
    expect(config.namespaces.of('live:x')).toMatchObject({ presence: 'batched', history: 50 });
    expect(config.namespaces.of('ann:x')).toMatchObject({ presence: 'count', publish: 'server' });
    expect(config.namespaces.of('lobby')).toMatchObject({ presence: 'each', history: 50 });
  });
  it.each([
    ['{"live":{"presence":"sometimes"}}', /namespace "live" option "presence"/],
    ['{"live":{"history":-1}}', /namespace "live" option "history"/],
    ['{"live":{"history":100001}}', /namespace "live" option "history"/],
    ['{"live":{"signals":"yes"}}', /namespace "live" option "signals"/],
    ['{"live":{"colour":"red"}}', /namespace "live".*colour/],
    ['{"bad:name":{}}', /namespace "bad:name"/],
    ['{"live":', /NAMESPACES: not valid JSON/],
  ])('refuses %s naming the namespace and option', (NAMESPACES, problem) => {
    expect(() => loadConfig({ NAMESPACES })).toThrow(problem);
  });
  it('reads NAMESPACES_FILE and names a missing file', () => {
    expect(() => loadConfig({ NAMESPACES_FILE: '/nonexistent/namespaces.json' })).toThrow(
      /NAMESPACES_FILE: cannot read/,
    );
  });
});

describe('Redis topologies', () => {
  it('takes Sentinel addresses and the primary name, with credentials and TLS from REDIS_URL', () => {
    const config = loadConfig({
      REDIS_SENTINELS: '10.0.0.1:26379,sentinel-2:26380',
      REDIS_SENTINEL_NAME: 'chat',
      REDIS_URL: 'rediss://app:s3cret@ignored:6379',
    });
    expect(config.redis).toMatchObject({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2', port: 26380 },
      ],
      sentinelName: 'chat',
      url: 'rediss://app:s3cret@ignored:6379',
    });
  });
  it.each([
    [{ REDIS_SENTINELS: 'a:1' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINELS: 'no-port', REDIS_SENTINEL_NAME: 'x' }, 'REDIS_SENTINELS'],
    [
      { REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'x', REDIS_CLUSTER: 'true', REDIS_URL: 'redis://a' },
      'REDIS_SENTINELS',
    ],
    [{ REDIS_CLUSTER: 'true' }, 'REDIS_URL'],
  ])('refuses %o naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(name));
  });
});
