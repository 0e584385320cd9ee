// One client connection: admission of each frame (rate, size, shape), in-order handling, replies, cleanup.
import { nanoid } from 'nanoid';
import {
  BAD_FRAME_BUDGET,
  CLOSE,
  ProtocolError,
  RATE_LIMIT_CLOSE_AFTER_MS,
  parseClientFrame,
  peekRequestId,
  type ClientFrame,
  type ErrorCode,
} from '@chorus/protocol';
import type { Logger } from 'pino';
import type { Identity } from './auth.js';
import type { Member } from './bus/bus.js';
import { ExpiryTimer } from './expiry.js';
import type { Caller, Membership } from './handlers/context.js';
import { dispatch, pipeline } from './handlers/index.js';
import { frameType } from './metrics.js';
import type { GatewayNode } from './node.js';
import * as out from './outbound.js';
import { SlidingCounter, TokenBucket } from './rate-limit.js';
import type { Connection } from './transport/transport.js';

type Task = () => void | Promise<void>;
/** Pipelined frames one connection may have waiting on the bus before it reads more. */
const MAX_PIPELINED = 64;

export class Session implements Caller {
  readonly connId = nanoid();
  readonly rooms = new Map<string, Membership>();
  lastSeen = Date.now();
  private readonly bucket: TokenBucket;
  // Created on first use: most connections never log, never send a bad frame (memory per idle socket).
  private logger: Logger | undefined;
  private badFrames: SlidingCounter | undefined;
  /** Start of the current run of seconds in which frames were refused, and the latest refusal. */
  private rateLimitedSince: number | undefined;
  private lastRefusedAt = 0;
  private lastAnonymousRateError = 0;
  private readonly queue: Task[] = [];
  private running = false;
  /** Replies of pipelined frames still waiting for the bus, chained so replies leave in frame order. */
  private replies: Promise<void> | undefined;
  private inFlight = 0;
  /** Only for connections whose credentials expire (JWT mode): memory per idle socket. */
  private expiry: ExpiryTimer | undefined;
  private ended = false;

  constructor(
    readonly node: GatewayNode,
    readonly conn: Connection,
    private credentials: Identity,
  ) {
    this.bucket = new TokenBucket(node.config.limits.ratePerSec);
  }

  get log(): Logger {
    return (this.logger ??= this.node.log.child({ conn: this.connId, user: this.identity.user }));
  }

  get identity(): Identity {
    return this.credentials;
  }

  /**
   * New credentials for the same user (`refresh`): the expiry timer moves, and the rooms the new `rooms` claim
   * does not allow are left. Returns those rooms.
   */
  renew(identity: Identity): string[] {
    this.credentials = identity;
    this.expiry ??= new ExpiryTimer(() => this.close(CLOSE.tokenExpired, 'token expired'));
    this.expiry.arm(identity.expiresAt);
    const left = [...this.rooms.keys()].filter((room) => identity.rooms && !identity.rooms.allows(room));
    for (const room of left) {
      this.leaveRoom(room).catch((err: unknown) => this.log.warn({ err, room }, 'presence leave failed; retried'));
    }
    return left;
  }

  /** Leaves a room on this connection: the room's feed here, and its presence (retried until the bus takes it). */
  leaveRoom(room: string): Promise<void> {
    this.rooms.delete(room);
    this.node.feeds.existingRoom(room)?.leave(this);
    return this.node.presence.leave(room, this.member);
  }

  get user(): string {
    return this.identity.user;
  }
  get name(): string {
    return this.identity.name;
  }
  get member(): Member {
    return { node: this.node.config.nodeId, conn: this.connId, user: this.user, name: this.name };
  }

  /** `welcome`, then the inbox; frames that arrive meanwhile wait in the queue behind it. */
  start(): void {
    const { config } = this.node;
    this.send(out.welcome(this.connId, this.user, this.name, config.nodeId, config.heartbeatMs, config.limits));
    if (this.identity.expiresAt !== undefined) {
      this.expiry = new ExpiryTimer(() => this.close(CLOSE.tokenExpired, 'token expired'));
      this.expiry.arm(this.identity.expiresAt);
    }
    this.enqueue(async () => {
      try {
        await this.node.feeds.user(this.user).open(this.conn);
      } catch (err) {
        this.log.warn({ err }, 'inbox unavailable at connect');
        this.close(CLOSE.tryAgainLater, 'inbox unavailable, reconnect');
      }
    });
  }

  receive(text: string): void {
    this.lastSeen = Date.now();
    this.node.counters.framesIn++;
    if (!this.admit(text)) return;
    this.enqueue(() => this.handle(text));
  }

  /** A frame over maxFrameBytes (the transport does not even decode it). */
  receiveOversize(): void {
    this.lastSeen = Date.now();
    this.node.counters.framesIn++;
    this.close(CLOSE.tooBig, 'frame exceeds maxFrameBytes');
  }

  receiveBinary(): void {
    this.lastSeen = Date.now();
    this.node.counters.framesIn++;
    if (!this.admit(undefined)) return;
    this.enqueue(() => this.rejectBadInput(undefined, 'bad_frame', 'frame: binary frames are not accepted'));
  }

  /**
   * The token bucket (PROTOCOL.md §6): a frame without a token is not processed. The user's budget on this
   * node is spent too, so that reconnecting for a fresh bucket buys nothing.
   */
  private admit(text: string | undefined): boolean {
    const now = this.lastSeen;
    if (this.bucket.take(now) && this.node.userFrames.take(this.user, now)) return true;
    // "Exceeded for 10 s in a row": every second of the run saw a refusal. The trickle of tokens a
    // flood still earns does not break the run; a full second without a refusal does.
    if (this.rateLimitedSince === undefined || now - this.lastRefusedAt > 1000) this.rateLimitedSince = now;
    this.lastRefusedAt = now;
    this.node.metrics.drops.of('rate_limited').inc();
    if (now - this.rateLimitedSince >= RATE_LIMIT_CLOSE_AFTER_MS) {
      this.close(CLOSE.policy, 'rate limit exceeded for 10 s');
      return false;
    }
    const id = text === undefined ? undefined : peekRequestId(text);
    if (id !== undefined) this.send(out.error(id, 'rate_limited', 'rate limit exceeded'));
    else if (now - this.lastAnonymousRateError >= 1000) {
      this.lastAnonymousRateError = now;
      this.send(out.error(undefined, 'rate_limited', 'rate limit exceeded'));
    }
    return false;
  }

  /** Work that cost more than a frame (a large read) is paid for from the connection's and the user's budgets. */
  charge(tokens: number): void {
    if (tokens <= 0) return;
    this.bucket.charge(tokens);
    this.node.userFrames.charge(this.user, tokens);
  }

  private async handle(text: string): Promise<void> {
    const parsed = parseClientFrame(text, this.node.config.limits.maxBodyBytes);
    if (!parsed.ok) return this.rejectBadInput(parsed.id, parsed.code, parsed.message);
    const { frame } = parsed;
    this.node.metrics.framesIn.of(frame.type).inc();
    const pipelined = pipeline(this, this.node.services, frame, parsed.bodyJson);
    if (pipelined) {
      // Issued to the bus now, in arrival order (one Redis connection runs commands in order, so seq
      // follows send order); the next frame need not wait for this one's round trip.
      this.inFlight++;
      this.replies = (this.replies ?? Promise.resolve())
        .then(() => pipelined)
        .then(
          (reply) => this.ack(frame.id, reply),
          (err: unknown) => this.failWith(frame, err),
        )
        .finally(() => this.inFlight--);
      if (this.inFlight >= MAX_PIPELINED) await this.replies;
      return;
    }
    if (this.inFlight > 0) await this.replies; // every earlier reply goes first
    try {
      await dispatch(this, this.node.services, frame, parsed.bodyJson);
    } catch (err) {
      this.failWith(frame, err);
    }
  }

  private failWith(frame: ClientFrame, err: unknown): void {
    if (err instanceof ProtocolError) return this.fail(frame.id, err.code, err.message);
    this.log.error({ err, frameId: frame.id, frameType: frame.type }, 'internal error handling a frame');
    this.fail(frame.id, 'internal', 'internal error');
  }

  /** Bad input is answered, and the 20th within a minute closes the socket with 1008. */
  private rejectBadInput(id: string | undefined, code: ErrorCode, message: string): void {
    this.fail(id, code, message);
    this.node.metrics.framesIn.of('invalid').inc();
    this.badFrames ??= new SlidingCounter(BAD_FRAME_BUDGET.windowMs);
    if (this.badFrames.hit() >= BAD_FRAME_BUDGET.count) this.close(CLOSE.policy, 'too many bad frames');
  }

  fail(id: string | undefined, code: ErrorCode, message: string): void {
    this.node.metrics.errors.of(code).inc();
    this.send(out.error(id, code, message));
  }

  /** Close with a close frame, counted by code; a policy close is also a strike against the user. */
  close(code: number, reason: string): void {
    if (this.conn.closed) return;
    this.node.metrics.closes.of(String(code)).inc();
    if (code === CLOSE.policy) this.node.policyCloses.take(this.user);
    this.conn.close(code, reason);
  }

  /** An ack is sent only to frames that carried an id. */
  ack(id: string | undefined, fields: object): void {
    if (id !== undefined) this.send(out.ack(id, fields));
  }

  send(frame: string): void {
    if (!this.conn.send(frame)) return;
    this.node.counters.framesOut++;
    this.node.metrics.framesOut.of(frameType(frame)).inc();
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (!this.running) void this.work();
  }

  /** Frames from one connection are handled one at a time, in arrival order (PROTOCOL.md §2). */
  private async work(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0 && !this.ended) {
      const task = this.queue.shift()!;
      try {
        await task();
      } catch (err) {
        this.log.error({ err }, 'task failed');
      }
    }
    this.queue.length = 0;
    this.running = false;
  }

  /** The socket is gone: leave every room's presence and release the node's subscriptions. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.expiry?.clear();
    for (const room of [...this.rooms.keys()]) {
      this.leaveRoom(room).catch((err: unknown) => {
        this.log.warn({ err, room }, 'presence leave failed at close; will retry when the bus is back');
      });
    }
    this.node.feeds.releaseUser(this.user);
  }
}
