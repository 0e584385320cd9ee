// @chorus/test-kit: what every test of chorus needs to start real things and wait for them.
export { ARTIFACTS, launchBrowser } from './browser.js';
export { TestClient, type ConnectOptions, type Frame } from './client.js';
export { startCluster, type BusKind, type Cluster, type ClusterOptions } from './cluster.js';
export { createNetns, type Netns } from './netns.js';
export { sleep, until } from './poll.js';
export { freePort, isFree } from './ports.js';
export { startRedis, startRedisCluster, startSentinelSet, type RedisProcess, type SentinelSet } from './redis.js';
export { startDashboard, startNode, startScript, type NodeProcess, type ScriptProcess } from './services.js';
export { exitOf, track, waitForLine } from './spawned.js';
