// @chorus/protocol: the public surface of the wire protocol v1.
export * from './ids.js';
export * from './limits.js';
export * from './errors.js';
export * from './close-codes.js';
export { SUBPROTOCOL } from './codes.js';
export * from './compact.js';
export { nestsDeeperThan, utf8Length } from './body.js';
export * from './frames/rooms.js';
export * from './frames/dm.js';
export * from './frames/presence.js';
export * from './frames/connection.js';
export * from './frames/signals.js';
export * as api from './api.js';
export * from './envelope.js';
export { protocolJsonSchema } from './json-schema.js';
