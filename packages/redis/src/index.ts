// @chorus/redis: what the gateway and the dashboard share about Redis, so neither restates the other.
export * from './settings.js';
export * from './connection.js';
export * from './registry.js';
