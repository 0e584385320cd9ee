// Entry point: poll the gateways' heartbeats in Redis and serve the live ops page.
import { connectRedis } from '@chorus/redis';
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
// The gateways' own connection code and settings: one server, Sentinel (REDIS_SENTINELS) or a Cluster, with the
// username, password and TLS of REDIS_URL. Polls that fail while Redis is away are logged and retried.
const redis = connectRedis(config.redis!, 2_000).cmd;
void redis.connect().catch((err: Error) => log.warn({ err: err.message }, 'redis not reachable yet'));
redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error'));

const view = new ClusterView(redis, config.redis!.prefix, {
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
  const where = config.redis!.sentinels
    ? `sentinel ${config.REDIS_SENTINEL_NAME}`
    : new URL(config.redis!.url!).host + (config.redis!.cluster ? ' (cluster)' : '');
  log.info({ port: address.port, host: config.HOST, redis: where }, 'listening');
  if (!config.token) log.warn('no DASHBOARD_TOKEN or ADMIN_TOKEN: the API is open to anyone on this host');
});

const stop = () => {
  clearInterval(poller);
  server.close();
  void redis.quit().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
