// What an app gives the client (credentials, options) and what it hears from it (states, events).
import type {
  DmDelivery,
  ErrorFrame,
  MessageFrame,
  OccupancyReply,
  SignalDelivery,
  UserJoined,
  UserLeft,
} from '@chorus/protocol';
import type { BackoffOptions } from './backoff.js';
import type { FrameParser } from './parse-frame.js';
import type { SocketFactory } from './socket.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface StateChange {
  from: ConnectionState;
  to: ConnectionState;
  reason: string;
  /** The close code that caused it, when a socket closed. */
  code?: number;
}

export interface Credentials {
  /** Dev mode: the user id (and optional display name). */
  user?: string;
  name?: string;
  /** JWT mode: the token, and a callback the client calls for a fresh one when it expires (4001). */
  token?: string;
  getToken?: () => string | Promise<string>;
}

export interface ClientOptions {
  /** The WebSocket constructor; defaults to the global one (browsers, Node 22+). */
  WebSocket?: SocketFactory;
  requestTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Requests kept while disconnected; past it new ones reject with `queue_full`. */
  maxQueue?: number;
  /** Confirm received dms automatically (after the `dm` handlers ran). */
  autoConfirm?: boolean;
  /**
   * `compact` (the default) offers `chorus.v1.compact`, so room messages arrive as arrays (§10.7, ~70 bytes
   * fewer each) and are expanded here; `json` offers `chorus.v1` only. Events are the same either way.
   */
  encoding?: 'compact' | 'json';
  /**
   * How each server frame is read. The default only parses JSON and expands compact messages, and so keeps the
   * browser bundle free of the schemas; `@chorus/client/node` checks every frame against the protocol's schemas
   * (`parseServerFrame`). A frame it refuses is dropped and reported as an `error` event.
   */
  parseFrame?: FrameParser;
  random?: () => number;
}

// A type, not an interface: no index signature, so `client.on('mesage', …)` does not compile.
export type ClientEvents = {
  state: StateChange;
  message: MessageFrame;
  dm: DmDelivery;
  user_joined: UserJoined;
  user_left: UserLeft;
  occupancy: OccupancyReply;
  /** A signal to this user or to one of its rooms (typing, calls): see `typing.ts`, `calls.ts`. */
  signal: SignalDelivery;
  recovery: { room: string; recovered: false; epochChanged: boolean };
  /** An error frame that answered no request of ours (e.g. rate_limited on a frame without id). */
  error: ErrorFrame;
};
