// The transport seam: what the gateway needs from a WebSocket/HTTP server, nothing uWS-specific.

/** One accepted WebSocket. Every method is a no-op once the socket has closed. */
export interface Connection {
  /** Queue a text frame. Returns false when the socket is closed. */
  send(text: string): boolean;
  /** Close with a close frame (the client sees `code`). */
  close(code: number, reason?: string): void;
  /** Drop the TCP connection without a close frame (the client sees 1006). */
  cut(): void;
  ping(): void;
  /** Bytes queued in user space, not yet handed to the kernel. */
  bufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Publish to a topic's subscribers except this connection. */
  publishExceptSelf(topic: string, text: string): void;
  readonly closed: boolean;
  /** The client offered `chorus.v1.compact` (§10.7): its room messages go out as arrays. */
  readonly compact: boolean;
}

export interface UpgradeRequest {
  url: string;
  query: URLSearchParams;
  header(name: string): string;
  remoteAddress: string;
  /** Called once if the client goes away before the upgrade is answered (at any point, also mid-decision). */
  onAbandoned(listener: () => void): void;
}

export type UpgradeDecision<T> = { accept: T } | { reject: { status: number; reason: string } };

export interface HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly query: URLSearchParams;
  header(name: string): string;
  /** Read the request body, refusing (resolving undefined) past `maxBytes`. */
  readBody(maxBytes: number): Promise<string | undefined>;
  respond(status: number, body: string, contentType?: string): void;
  readonly aborted: boolean;
}

export type HttpHandler = (exchange: HttpExchange) => void | Promise<void>;

export interface SocketHandlers<T> {
  upgrade(request: UpgradeRequest): Promise<UpgradeDecision<T>> | UpgradeDecision<T>;
  open(connection: Connection, accepted: T): void;
  text(connection: Connection, text: string): void;
  binary(connection: Connection): void;
  /** A frame (text or binary) over `maxFrameBytes`, handed over undecoded. */
  oversize(connection: Connection): void;
  pong(connection: Connection): void;
  close(connection: Connection, code: number): void;
}

export interface TransportOptions {
  /** Frames above this are not decoded: `oversize` is called instead. */
  maxFrameBytes: number;
  /** Frames above this never reach JS: uWS cuts the socket (see uws.ts for why it is above the protocol limit). */
  hardFrameLimit: number;
  /** uWS's own per-socket send-buffer ceiling: past it the socket is cut, never silently skipped. */
  hardBackpressureLimit: number;
  /** permessage-deflate for the clients that offer it (COMPRESSION). */
  compression: 'off' | 'shared' | 'dedicated';
}

/** The fan-out half of a transport: what the feeds publish through. */
export type Fanout = Pick<Transport, 'publish' | 'subscribers'>;

export interface Transport {
  /** Send bytes to every subscriber of `topic`; returns how many sockets were subscribed. */
  publish(topic: string, text: string): number;
  /** How many sockets subscribe to `topic`. */
  subscribers(topic: string): number;
  route(method: 'get' | 'post' | 'any', pattern: string, handler: HttpHandler): void;
  listen(host: string, port: number): Promise<number>;
  stopListening(): void;
}
