// The state one gateway node shares across its sessions: config, bus, feeds, counters, drain flag.
import type { Logger } from 'pino';
import type { Authenticator } from './auth.js';
import type { Bus } from './bus/bus.js';
import type { Config } from './config.js';
import { presencePolicy } from './bus/index.js';
import { timedBus } from './bus/instrumented.js';
import { Feeds } from './delivery/feeds.js';
import type { Services } from './handlers/context.js';
import { PresenceWriter } from './delivery/presence-writer.js';
import { Metrics, frameTs, frameType } from './metrics.js';
import { KeyedBuckets } from './rate-limit.js';
import type { RoomMember } from './delivery/room-feed.js';
import type { Fanout } from './transport/transport.js';

export class NodeCounters {
  framesIn = 0;
  framesOut = 0;
  inPerSec = 0;
  outPerSec = 0;
  private lastIn = 0;
  private lastOut = 0;
  private lastAt = Date.now();
  /** Called once a second: turns the running totals into rates. */
  tick(now = Date.now()): void {
    const seconds = Math.max((now - this.lastAt) / 1000, 0.001);
    this.inPerSec = Math.round((this.framesIn - this.lastIn) / seconds);
    this.outPerSec = Math.round((this.framesOut - this.lastOut) / seconds);
    this.lastIn = this.framesIn;
    this.lastOut = this.framesOut;
    this.lastAt = now;
  }
}

/** A connection as its node sees it (a Session): found by id as a room member, watched, closed. */
export interface LocalConnection extends RoomMember {
  readonly user: string;
  /** When its last frame or pong arrived (ms since the epoch). */
  readonly lastSeen: number;
  readonly log: Logger;
  send(frame: string): void;
}

export class GatewayNode {
  readonly sessions = new Map<string, LocalConnection>();
  readonly counters = new NodeCounters();
  readonly startedAt = Date.now();
  readonly feeds: Feeds;
  /** This node's presence writes, grouped per room. */
  readonly presence: PresenceWriter;
  readonly metrics: Metrics;
  draining = false;
  /** Upgrades from their first byte until open, refused or abandoned: they count against MAX_CONNECTIONS. */
  upgradesInProgress = 0;
  /** What each user may spend on this node whatever its number of connections (swept by keepalive.ts). */
  readonly userFrames: KeyedBuckets;
  readonly userConnects: KeyedBuckets;
  /** 1008 closes per user: when spent, the user's upgrades are refused until one is earned back. */
  readonly policyCloses: KeyedBuckets;
  /** Bytes of dms each sender may store in others' inboxes from this node, per minute (§10.8). */
  readonly dmBytes: KeyedBuckets;

  /** The bus, its requests timed for /metrics. */
  readonly bus: Bus;
  /** What the handlers may use of this node. */
  readonly services: Services;

  constructor(
    readonly config: Config,
    bus: Bus,
    readonly authenticate: Authenticator,
    readonly log: Logger,
    fanout: Fanout,
  ) {
    this.userFrames = new KeyedBuckets(config.userRatePerSec);
    this.userConnects = new KeyedBuckets(config.userConnectsPerSec);
    this.policyCloses = new KeyedBuckets(config.policyClosesPerMin / 60, config.policyClosesPerMin);
    this.dmBytes = new KeyedBuckets(config.dmBytesPerMin / 60, config.dmBytesPerMin);
    this.metrics = new Metrics(() => ({ ...this.stats(), busConnected: bus.connected }));
    this.bus = timedBus(bus, this.metrics.busRoundTrip);
    const { deliveries, framesOut, deliverLatency } = this.metrics;
    const roomDeliveries = deliveries.of('room');
    const dmDeliveries = deliveries.of('dm');
    // Every fan-out passes here once per node (never per recipient): count it, and time messages
    // from the accepting gateway's stamp to now.
    const counted = (topic: string, frame: string) => {
      const delivered = fanout.publish(topic, frame);
      const type = frameType(frame);
      this.counters.framesOut += delivered;
      framesOut.of(type).inc(delivered);
      if (type === 'message' || type === 'dm') {
        (type === 'message' ? roomDeliveries : dmDeliveries).inc(delivered);
        deliverLatency.observe(Math.max(0, Date.now() - frameTs(frame)) / 1000);
      }
      return delivered;
    };
    this.feeds = new Feeds({
      bus: this.bus,
      publish: counted,
      subscribers: (topic) => fanout.subscribers(topic),
      memberById: (id) => this.sessions.get(id),
      kick: (user, code, reason) => this.kick(user, code, reason),
      namespaces: config.namespaces,
      presence: config.presence,
      log,
    });
    this.presence = new PresenceWriter(
      this.bus.presence,
      (room) => presencePolicy(config, room),
      (removal) => this.feeds.retryWhenConnected(removal),
      (room, count) => this.feeds.existingRoom(room)?.noteUsers(count),
    );
    this.services = {
      messages: this.bus.messages,
      broker: this.bus.broker,
      presence: this.bus.presence,
      presenceWriter: this.presence,
      feeds: this.feeds,
      namespaces: config.namespaces,
      limits: config.limits,
      authMode: config.auth.mode,
      authenticate,
      dmBytes: this.dmBytes,
    };
  }

  /** Closes every local connection of `user` with `code` (disconnect 4003, ban 4004); returns how many. */
  kick(user: string, code: number, reason: string): number {
    let closed = 0;
    for (const session of this.sessions.values()) {
      if (session.user !== user || session.conn.closed) continue;
      session.close(code, reason);
      closed++;
    }
    return closed;
  }

  /** This node's biggest rooms by local members, for the registry (GET /api/rooms). */
  topRooms(limit = 100) {
    return this.feeds.biggest(limit);
  }

  get ready(): boolean {
    return this.bus.connected && !this.draining;
  }

  stats() {
    return {
      node: this.config.nodeId,
      connections: this.sessions.size,
      users: this.feeds.userCount,
      rooms: this.feeds.roomCount,
      inPerSec: this.counters.inPerSec,
      outPerSec: this.counters.outPerSec,
      startedAt: this.startedAt,
    };
  }
}
