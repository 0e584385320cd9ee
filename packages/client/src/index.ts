// @chorus/client: the browser-safe entry (no Node built-ins). Node 20 users import '@chorus/client/node'.
export { ChorusClient, connect } from './client.js';
export type { ClientEvents, ClientOptions, ConnectionState, Credentials, StateChange } from './client.js';
export { Room, type RoomEvents } from './room.js';
export { ChorusError, type ClientErrorCode } from './errors.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { SocketFactory, SocketLike } from './socket.js';
