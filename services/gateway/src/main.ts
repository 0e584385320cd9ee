// Entry point: parse config, refuse the pure-JS uWS fallback, start the node, drain on SIGTERM/SIGINT or a crash.
import { ConfigError, loadConfig } from './config.js';
import { createBus } from './bus/index.js';
import { startGateway } from './gateway.js';
import { exitOnFatalErrors } from './fatal.js';
import { createLogger } from './log.js';
import { uwsIsNative } from './transport/uws.js';
import { setFlagsFromString } from 'node:v8';

const main = async () => {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`chorus gateway: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config.logLevel, config.nodeId);
  // V8 reads this flag at each collection (whether to shrink the heap), so setting it now takes effect.
  if (config.heapMode === 'lean') setFlagsFromString('--optimize-for-size');
  if (!uwsIsNative()) {
    const why =
      'uWebSockets.js could not load its native binary and fell back to its slow pure-JS server ' +
      '(wrong Node version or platform?). Set ALLOW_JS_FALLBACK=true to run anyway.';
    if (!config.allowJsFallback) {
      log.fatal(why);
      process.exit(1);
    }
    log.warn(why);
  }
  if (config.auth.mode === 'dev' && config.redis) {
    // A production-shaped deployment (a shared bus) that trusts `?user=`: anyone can be anyone.
    log.warn(
      'dev auth on a Redis bus: any client can claim any user id with ?user=. Set JWT_SECRET or JWKS_URL ' +
        '(or AUTH_MODE=jwt) before exposing this node.',
    );
  }
  const bus = createBus(config, log);
  let gateway;
  try {
    gateway = await startGateway(config, bus, log);
  } catch (err) {
    log.fatal({ err }, 'cannot start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutdown requested');
    const hardStop = setTimeout(() => process.exit(1), config.drainMs + 10_000);
    hardStop.unref();
    gateway.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'drain failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  exitOnFatalErrors(process, log, () => gateway.drain(), config.drainMs + 10_000);
};

void main();
