// Entry point: poll the gateways' heartbeats in Redis and serve the live ops page.
import { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import { ClusterView } from './cluster-view.js';
import { loadConfig } from './config.js';
import { DashboardServer } from './server.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`chorus dashboard: ${(err as Error).message}\n`);
  process.exit(78);
}
const log = pino({ level: config.LOG_LEVEL, base: { service: 'dashboard' } });
const url = new URL(config.REDIS_URL);
const redis = config.REDIS_CLUSTER
  ? new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      redisOptions: {
        password: decodeURIComponent(url.password) || undefined,
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
    })
  : new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error'));

const view = new ClusterView(redis, config.REDIS_PREFIX, {
  historyPoints: config.HISTORY_POINTS,
  goneRetentionS: config.GONE_RETENTION_S,
});
const server = new DashboardServer(() => redis.status === 'ready', {
  token: config.token,
  maxStreamsPerAddress: config.STREAMS_PER_ADDRESS,
  gatewayUrl: config.GATEWAY_URL,
});
const tick = async () => {
  try {
    server.publish(await view.poll());
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'poll failed');
  }
};
const poller = setInterval(tick, config.POLL_MS);
await tick();
server.server.listen(config.PORT, config.HOST, () => {
  const address = server.server.address() as { port: number };
  log.info({ port: address.port, host: config.HOST, redis: `${url.hostname}:${url.port}` }, 'listening');
  if (!config.token) log.warn('no DASHBOARD_TOKEN or ADMIN_TOKEN: the API is open to anyone on this host');
});

const stop = () => {
  clearInterval(poller);
  server.close();
  void redis.quit().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
