// @chorus/client: the browser-safe entry (no Node built-ins). Node 20 users import '@chorus/client/node'.
export { ChorusClient, connect, parseJsonFrame } from './client.js';
export type { ClientEvents, ClientOptions, ConnectionState, Credentials, FrameParser, StateChange } from './client.js';
export { Room, type RoomEvents, type Occupancy, type PresencePage } from './room.js';
export { Typing, type TypingOptions } from './typing.js';
export { Call, Calls, CALL_ENDED, type CallState, type CallsOptions } from './calls.js';
export { ChorusError, type ClientErrorCode } from './errors.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export type { SocketFactory, SocketLike } from './socket.js';
