// @chorus/gateway: embed a node in-process (tests, custom servers) instead of running main.ts.
export { loadConfig, ConfigError, type Config } from './config.js';
export { startGateway, type Gateway } from './gateway.js';
export { createBus } from './bus/index.js';
export type { Bus } from './bus/bus.js';
export { MemoryBus, MemoryHub } from './bus/memory/hub.js';
export { createLogger } from './log.js';
