// The chorus client: an explicit connection state machine with reconnect, resume, queued sends and dedup.
import type {
  DmAck,
  DmDelivery,
  ErrorFrame,
  JoinAck,
  MessageFrame,
  OccupancyReply,
  PresenceDiff,
  SignalDelivery,
  UserJoined,
  UserLeft,
} from '@chorus/protocol';
import { CLOSE, COMPACT_SUBPROTOCOL, SUBPROTOCOL, closeAdvice } from '@chorus/protocol/codes';
import { DEFAULT_BACKOFF, backoffDelay, promptDelay, type BackoffOptions } from './backoff.js';
import type { ClientEvents, ClientOptions, ConnectionState, Credentials } from './client-options.js';
import { Emitter } from './emitter.js';
import { ChorusError } from './errors.js';
import { RecentIds } from './recent-ids.js';
import { Room, type RoomHost } from './room.js';
import { parseJsonFrame, type FrameParser } from './parse-frame.js';
import { TokenRefresher } from './token-refresh.js';
import { OPEN, defaultSocketFactory, type SocketFactory, type SocketLike } from './socket.js';

/** A 4001 this soon after `welcome` means the fresh token was refused too. */
const TOKEN_REFUSED_AGAIN_MS = 10_000;

export type { ClientEvents, ClientOptions, ConnectionState, Credentials, StateChange } from './client-options.js';
export { parseJsonFrame, type FrameParser } from './parse-frame.js';

interface Pending {
  id: string;
  frame: Record<string, unknown>;
  retry: boolean;
  resolve(reply: Record<string, unknown>): void;
  reject(error: ChorusError): void;
  timer?: ReturnType<typeof setTimeout>;
}

type Frame = Record<string, unknown> & { type: string; id?: string };

export class ChorusClient extends Emitter<ClientEvents> implements RoomHost {
  private current: ConnectionState = 'connecting';
  private socket: SocketLike | undefined;
  private readonly urls: string[];
  private urlIndex = 0;
  private attempt = 0;
  /** The token the current connection runs on (JWT mode). */
  private token: string | undefined;
  /** With `getToken`: a fresh token is sent in band before the current one expires (no reconnect). */
  private readonly refresher = new TokenRefresher({
    getToken: () => this.credentials.getToken!(),
    refresh: async (token) => {
      await this.request({ type: 'refresh', token }, { queue: false });
      this.token = token;
    },
  });
  /** Consecutive 4001 closes that came right after a welcome (see lost()). */
  private tokenRefusals = 0;
  private welcomedAt = 0;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private outbox: Pending[] = [];
  private readonly rooms = new Map<string, Room>();
  private readonly seenDms = new RecentIds();
  private inboxHigh = 0;
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private livenessTimer: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  private heartbeatMs = 25_000;
  private readonly factory: SocketFactory;
  private readonly timeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly maxQueue: number;
  private readonly autoConfirm: boolean;
  private readonly protocols: string[];
  private readonly parseFrame: FrameParser;
  private readonly random: () => number;
  private connectedOnce: { promise: Promise<void>; resolve(): void; reject(e: ChorusError): void };
  /** Who the server says we are, from the latest `welcome`. */
  user: string | undefined;
  node: string | undefined;

  constructor(
    url: string | string[],
    private credentials: Credentials,
    options: ClientOptions = {},
  ) {
    super();
    this.urls = Array.isArray(url) ? [...url] : [url];
    if (this.urls.length === 0) throw new Error('connect: at least one url');
    const factory = options.WebSocket ?? defaultSocketFactory();
    if (!factory)
      throw new Error('connect: no WebSocket available; pass options.WebSocket (in Node: use @chorus/client/node)');
    this.factory = factory;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.maxQueue = options.maxQueue ?? 1_000;
    this.autoConfirm = options.autoConfirm ?? true;
    this.protocols = options.encoding === 'json' ? [SUBPROTOCOL] : [COMPACT_SUBPROTOCOL, SUBPROTOCOL];
    this.parseFrame = options.parseFrame ?? parseJsonFrame;
    this.random = options.random ?? Math.random;
    let resolve!: () => void;
    let reject!: (e: ChorusError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.connectedOnce = { promise, resolve, reject };
    this.open();
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Resolves once the first `welcome` arrived; rejects if the client closes first. */
  ready(): Promise<void> {
    return this.connectedOnce.promise;
  }

  room(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) this.rooms.set(name, (room = new Room(name, this)));
    return room;
  }

  /** A direct message, applied at most once (a key is generated unless given). */
  dm(to: string, body: unknown, options: { key?: string } = {}): Promise<DmAck> {
    return this.request<DmAck>({ type: 'dm', to, body, key: options.key ?? this.newKey() }, { retry: true });
  }

  /**
   * A signal to every open connection of `to` (PROTOCOL.md §10.3): never stored, never queued while offline.
   * Resolves `online: false` when nobody received it (for a call: "not connected").
   */
  signal(to: string, body: unknown): Promise<{ online: boolean }> {
    return this.request<{ online: boolean }>({ type: 'signal', to, body }, { queue: false });
  }

  async ping(): Promise<number> {
    return (await this.request<{ ts: number }>({ type: 'ping' })).ts;
  }

  /** Close for good: pending and queued requests reject with `closed`. */
  close(): void {
    this.transition('closed', 'closed by the app');
    this.teardown(CLOSE.normal);
    this.failAll(new ChorusError('closed', 'client closed'));
  }

  // ---- requests --------------------------------------------------------------------------------

  newKey(): string {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /**
   * Send a frame and resolve with its reply. While disconnected, the request waits in a bounded
   * queue and is sent after the rooms are rejoined; `retry` requests that were in flight when a
   * socket died are sent again (sends and dms carry their key, so they still apply once).
   */
  request<T>(frame: Record<string, unknown>, options: { retry?: boolean; queue?: boolean } = {}): Promise<T> {
    if (this.current === 'closed') return Promise.reject(new ChorusError('closed', 'client closed'));
    if (options.queue === false && this.current !== 'connected') {
      return Promise.reject(new ChorusError('disconnected', 'not connected: this request is not queued'));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        id: `c${this.nextId++}`,
        frame,
        retry: options.retry ?? false,
        resolve: resolve as (reply: Record<string, unknown>) => void,
        reject,
      };
      if (this.current === 'connected') this.transmit(entry);
      else if (this.outbox.length >= this.maxQueue)
        reject(new ChorusError('queue_full', 'too many requests queued while disconnected'));
      else this.outbox.push(entry);
    });
  }

  private transmit(entry: Pending): void {
    this.pending.set(entry.id, entry);
    entry.timer = setTimeout(() => {
      this.pending.delete(entry.id);
      entry.reject(new ChorusError('timeout', `no reply to ${String(entry.frame.type)} within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    this.socket!.send(JSON.stringify({ ...entry.frame, id: entry.id }));
  }

  joinRoom(room: Room): Promise<JoinAck> {
    return this.request<JoinAck>(this.joinFrame(room), { retry: true }).then((ack) => {
      room.joined(ack, { since: room.lastSeq > 0 ? room.lastSeq : undefined });
      return ack;
    });
  }

  async leaveRoom(room: Room): Promise<void> {
    try {
      await this.request({ type: 'leave', room: room.name }, { retry: true });
    } catch (err) {
      // After a reconnect the room was never rejoined: not being a member is what leave wanted.
      if (!(err instanceof ChorusError && err.code === 'not_member')) throw err;
    }
  }

  private joinFrame(room: Room): Record<string, unknown> {
    return room.lastSeq > 0 && room.epoch
      ? { type: 'join', room: room.name, since: room.lastSeq, epoch: room.epoch }
      : { type: 'join', room: room.name };
  }

  // ---- the connection --------------------------------------------------------------------------

  private async open(): Promise<void> {
    let socket: SocketLike;
    try {
      const url = new URL(this.urls[this.urlIndex % this.urls.length]!);
      const { user, name, getToken } = this.credentials;
      let { token } = this.credentials;
      if (!token && getToken) token = await getToken();
      this.token = token;
      if (this.current === 'closed') return;
      if (token) url.searchParams.set('token', token);
      else if (user) url.searchParams.set('user', user);
      if (name && !token) url.searchParams.set('name', name);
      socket = new this.factory(url.toString(), this.protocols);
    } catch (err) {
      // A failing token callback or a refused socket is one more failed attempt: back off, try again.
      return this.lost(CLOSE.abnormal, `cannot open: ${(err as Error).message}`);
    }
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (this.socket === socket) this.lost(event.code, event.reason);
    };
    socket.onerror = () => undefined; // onclose follows with the code
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    this.lastFrameAt = Date.now();
    const parsed = this.parseFrame(data);
    if (!parsed.ok) {
      this.emit('error', { type: 'error', code: 'internal', message: `server frame refused: ${parsed.message}` });
      return;
    }
    const frame = parsed.frame as Frame;
    if (frame.id !== undefined) {
      const entry = this.pending.get(frame.id);
      if (entry) {
        this.pending.delete(frame.id);
        clearTimeout(entry.timer);
        if (frame.type === 'error') {
          const error = frame as unknown as ErrorFrame;
          entry.reject(new ChorusError(error.code as ChorusError['code'], error.message));
        } else entry.resolve(frame);
        return;
      }
    }
    switch (frame.type) {
      case 'welcome':
        return this.welcomed(frame);
      case 'message': {
        const message = frame as unknown as MessageFrame;
        if (this.rooms.get(message.room)?.deliver(message)) this.emit('message', message);
        return;
      }
      case 'dm':
        return this.directMessage(frame as unknown as DmDelivery);
      case 'signal': {
        const signal = frame as unknown as SignalDelivery;
        if (signal.room !== undefined) this.rooms.get(signal.room)?.signalReceived(signal);
        return this.emit('signal', signal);
      }
      case 'user_joined':
      case 'user_left':
      case 'presence_diff':
      case 'occupancy': {
        const event = frame as unknown as UserJoined | UserLeft | PresenceDiff | OccupancyReply;
        const room = this.rooms.get(event.room);
        if (!room) return;
        for (const e of room.presenceEvent(event)) {
          if (e.type === 'user_joined') this.emit('user_joined', e);
          else this.emit('user_left', e);
        }
        if (event.type === 'occupancy') this.emit('occupancy', event);
        return;
      }
      case 'error':
        return this.emit('error', frame as unknown as ErrorFrame);
    }
  }

  private welcomed(frame: Frame): void {
    this.welcomedAt = Date.now();
    if (this.credentials.getToken) this.refresher.schedule(this.token);
    this.user = frame.user as string;
    this.node = frame.node as string;
    this.heartbeatMs = (frame.heartbeatMs as number) ?? this.heartbeatMs;
    this.attempt = 0;
    const wasReconnect = this.current === 'reconnecting';
    this.transition('connected', wasReconnect ? 'reconnected' : 'connected');
    this.connectedOnce.resolve();
    this.watchLiveness();
    // Rejoin every wanted room from its last seq (joins still in flight are among the outbox
    // entries and are re-sent there, with since/epoch brought up to date).
    const rejoins = new Set(this.outbox.filter((e) => e.frame.type === 'join').map((e) => e.frame.room));
    for (const room of this.rooms.values()) {
      if (!room.wanted || rejoins.has(room.name)) continue;
      this.joinRoom(room).catch((err: unknown) => {
        if (err instanceof ChorusError && err.code !== 'closed') room.wanted = room.wanted && err.retryable;
      });
    }
    const queued = this.outbox;
    this.outbox = [];
    for (const entry of queued) {
      if (entry.frame.type === 'join')
        Object.assign(entry.frame, this.joinFrame(this.room(entry.frame.room as string)));
      this.transmit(entry);
    }
  }

  private directMessage(dm: DmDelivery): void {
    if (dm.seq > this.inboxHigh) this.inboxHigh = dm.seq;
    if (this.seenDms.add(dm.msg)) this.emit('dm', dm);
    if (this.autoConfirm && this.confirmTimer === undefined) {
      // One `received` covers a burst (the inbox replay after `welcome`, say).
      this.confirmTimer = setTimeout(() => {
        this.confirmTimer = undefined;
        if (this.current === 'connected') this.socket?.send(JSON.stringify({ type: 'received', upTo: this.inboxHigh }));
      }, 50);
    }
  }

  /** The socket is gone: decide from the close code whether, and how soon, to come back. */
  private lost(code: number, reason: string): void {
    this.teardown();
    if (this.current === 'closed') return;
    this.requeueInFlight();
    const advice = closeAdvice(code);
    if (advice === 'stop' && code !== CLOSE.normal) {
      this.transition('closed', `closed by the server: ${reason || code}`, code);
      this.connectedOnce.reject(new ChorusError('closed', `closed with ${code}`));
      return this.failAll(new ChorusError('closed', `connection closed with ${code} ${reason}`));
    }
    if (advice === 'refresh-token') {
      if (!this.credentials.getToken) {
        this.transition('closed', 'token expired and no getToken callback', code);
        return this.failAll(new ChorusError('closed', 'token expired'));
      }
      this.credentials = { ...this.credentials, token: undefined };
    }
    this.transition('reconnecting', reason || `socket closed (${code})`, code);
    // A fresh token refused at once the same way (expired on arrival, a clock far off, an identity provider
    // handing out stale tokens) must not become a loop of token fetches: back off like any failure.
    const refusedAgain = advice === 'refresh-token' && Date.now() - this.welcomedAt < TOKEN_REFUSED_AGAIN_MS;
    if (advice === 'refresh-token' && !refusedAgain) this.tokenRefusals = 0;
    const delay = refusedAgain
      ? backoffDelay(this.tokenRefusals++, this.backoff, this.random)
      : advice === 'reconnect-now' || advice === 'refresh-token'
        ? promptDelay(this.random)
        : backoffDelay(this.attempt++, this.backoff, this.random);
    this.urlIndex++; // the next attempt goes to the next url: the node that closed us may be gone
    this.reconnectTimer = setTimeout(() => void this.open(), delay);
  }

  private requeueInFlight(): void {
    const inFlight = [...this.pending.values()];
    this.pending.clear();
    const again: Pending[] = [];
    for (const entry of inFlight) {
      clearTimeout(entry.timer);
      if (entry.retry) again.push(entry);
      else entry.reject(new ChorusError('disconnected', 'connection lost before the reply'));
    }
    this.outbox = [...again, ...this.outbox];
  }

  private failAll(error: ChorusError): void {
    for (const entry of [...this.pending.values(), ...this.outbox]) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
    this.outbox = [];
  }

  /** Browsers cannot see WebSocket pings: a silent server is detected with protocol pings. */
  private watchLiveness(): void {
    clearInterval(this.livenessTimer);
    this.lastFrameAt = Date.now();
    this.livenessTimer = setInterval(
      () => {
        const silent = Date.now() - this.lastFrameAt;
        if (silent > 2 * this.heartbeatMs + 5_000) {
          const socket = this.socket;
          this.lost(CLOSE.abnormal, 'server silent');
          socket?.close();
        } else if (silent > this.heartbeatMs && this.socket?.readyState === OPEN) {
          this.socket.send('{"type":"ping"}');
        }
      },
      Math.max(1_000, this.heartbeatMs / 2),
    );
  }

  private teardown(code?: number): void {
    this.refresher.stop();
    clearInterval(this.livenessTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket && code !== undefined) {
      socket.onclose = null;
      socket.close(code);
    }
  }

  private transition(to: ConnectionState, reason: string, code?: number): void {
    const from = this.current;
    if (from === to && to !== 'reconnecting') return;
    this.current = to;
    this.emit('state', code === undefined ? { from, to, reason } : { from, to, reason, code });
  }
}

/** Open a client; it connects at once and keeps itself connected until `close()`. */
export const connect = (url: string | string[], credentials: Credentials, options?: ClientOptions): ChorusClient =>
  new ChorusClient(url, credentials, options);
