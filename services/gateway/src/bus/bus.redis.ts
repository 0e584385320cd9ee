// The Redis bus: rooms, dms, presence and node leases shared by every gateway (one Redis or a Redis Cluster).
import { nanoid } from 'nanoid';
import type { Logger } from 'pino';
import { IDEMPOTENCY_TTL_MS, ProtocolError } from '@chorus/protocol';
import { DM_HEAD, MESSAGE_HEAD } from '../outbound.js';
import {
  isComplete,
  KICK_WAIT_MS,
  type RoomCount,
  type Bus,
  type BusListener,
  type DmDraft,
  type NodeAnnouncement,
  type Outcome,
  type Reply,
  type Retention,
  type RoomDraft,
  type RoomRead,
  type RoomState,
  type StoredFrame,
} from './bus.js';
import { deliverChannelMessage } from './channel-messages.js';
import { kickKeys, parseChannel, roomKeys, userKeys } from './keys.js';
import { RedisRegistry } from './registry.redis.js';
import type { PresencePolicy } from './presence.js';
import { RedisPresence } from './presence.redis.js';
import { busError, defineScripts, type Client, type Scripted } from './redis-commands.js';
import { connectRedis, type RedisTarget } from '@chorus/redis';

export interface RedisBusOptions extends RedisTarget {
  node: string;
  /** Each room's history (its namespace's `history` and `historyTtlS`). */
  history: (room: string) => Retention;
  /** Each room's presence policy, for clearing a dead node's members (undefined: the room keeps none). */
  presencePolicy: (room: string) => PresencePolicy | undefined;
  inbox: { size: number; ttlS: number; unseenTtlS: number };
  timeoutMs: number;
}

type StreamEntry = [id: string, fields: string[]];
/** How often both Redis connections are pinged to find a link that silently drops packets. */
const HEALTH_EVERY_MS = 1_000;

export class RedisBus implements Bus {
  readonly kind = 'redis';
  private readonly cmd: Scripted;
  private readonly sub: Client;
  private listener: BusListener | undefined;
  private readonly registry: RedisRegistry;
  private readonly sharded: '1' | '0';
  private wasReady = false;
  private lastConnected = false;
  /** Set when the link stopped answering pings (a silent partition), until both clients are ready again. */
  private silent = false;
  private checking = false;
  private health: NodeJS.Timeout | undefined;
  readonly presence: RedisPresence;

  constructor(
    private readonly options: RedisBusOptions,
    private readonly log: Logger,
  ) {
    this.sharded = options.cluster ? '1' : '0';
    const { cmd, sub } = connectRedis(options, options.timeoutMs);
    this.cmd = defineScripts(cmd);
    this.sub = sub;
    this.presence = new RedisPresence(
      this.cmd,
      { prefix: options.prefix, node: options.node, sharded: options.cluster },
      log,
    );
    this.registry = new RedisRegistry(this.cmd, options, this.presence, log);
  }

  get connected(): boolean {
    return this.cmd.status === 'ready' && this.sub.status === 'ready' && !this.silent;
  }

  async start(listener: BusListener): Promise<void> {
    this.listener = listener;
    const onMessage = (channel: string, message: string) => {
      const [kind, name] = parseChannel(this.options.prefix, channel);
      deliverChannelMessage(kind, name, message, listener, (id, closed) => this.answerKick(id, closed));
    };
    if (this.options.cluster) this.sub.on('smessage', onMessage);
    else this.sub.on('message', onMessage);
    for (const client of new Set([this.cmd, this.sub])) {
      client.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis error'));
      client.on('ready', () => this.onReady());
      client.on('close', () => this.onConnectionChange());
    }
    await Promise.all([...new Set([this.cmd, this.sub])].map((c) => c.connect()));
    // A node restarted under the same id leaves presence of its previous life: clear it first.
    await this.presence.reap(this.options.node, this.options.presencePolicy);
    if (!this.options.cluster) this.health = setInterval(() => void this.checkHealth(), HEALTH_EVERY_MS);
  }

  /**
   * A link whose packets are silently dropped (a partition, not a refusal) looks connected to the socket layer
   * for minutes. Both connections are pinged every second: one that does not answer within BUS_TIMEOUT_MS makes
   * the node unready and is reconnected, which resyncs every room once the link is back.
   */
  private async checkHealth(): Promise<void> {
    if (this.checking || !this.lastConnected) return;
    this.checking = true;
    const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.options.timeoutMs).unref());
    const pings = Promise.all([this.cmd.ping(), this.sub.ping()]).then(
      () => 'ok' as const,
      () => 'failed' as const,
    );
    const outcome = await Promise.race([pings, deadline]);
    this.checking = false;
    if (outcome === 'ok' || !this.lastConnected) return;
    this.log.warn({ outcome }, 'bus not answering pings; reconnecting');
    this.silent = true;
    this.onConnectionChange();
    for (const client of new Set([this.cmd, this.sub])) client.disconnect(true);
  }

  private onReady(): void {
    if (this.cmd.status === 'ready' && this.sub.status === 'ready') this.silent = false;
    this.onConnectionChange();
    if (!this.connected) return;
    if (this.wasReady) {
      // Pub/sub drops messages while disconnected: the feeds read what they missed from the streams.
      this.log.info('bus reconnected; resyncing rooms');
      this.listener?.resynced?.();
    }
    this.wasReady = true;
  }

  private onConnectionChange(): void {
    const now = this.connected;
    if (now === this.lastConnected) return;
    this.lastConnected = now;
    this.listener?.connectionChanged?.(now);
    if (!now) this.log.warn('bus disconnected');
  }

  /** A node answers a kick with how many of the user's connections it closed (the API waits for the tally). */
  private answerKick(id: string, closed: number): void {
    const keys = kickKeys(this.options.prefix, id);
    this.cmd
      .multi()
      .incrby(keys.closed, closed)
      .incr(keys.nodes)
      .pexpire(keys.closed, KICK_WAIT_MS * 5)
      .pexpire(keys.nodes, KICK_WAIT_MS * 5)
      .exec()
      .catch((err: unknown) => this.log.warn({ err }, 'kick answer failed'));
  }

  // ---- signals and moderation ----------------------------------------------------------------

  private async publishOn(channel: string, payload: string): Promise<number> {
    try {
      return Number(
        await (this.options.cluster ? this.cmd.spublish(channel, payload) : this.cmd.publish(channel, payload)),
      );
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  /** The user's nodes subscribe to its channel exactly while it has a connection: receivers = online. */
  async signalUser(to: string, frame: string): Promise<boolean> {
    return (await this.publishOn(userKeys(this.options.prefix, to).channel, `s|-|${frame}`)) > 0;
  }

  async signalRoom(room: string, originConn: string, frame: string): Promise<void> {
    await this.publishOn(roomKeys(this.options.prefix, room).channel, `s|${originConn}|${frame}`);
  }

  /** A probe nobody acts on (`q|`): what PUBLISH answers is how many nodes subscribe to the user's channel. */
  userNodes(user: string): Promise<number> {
    return this.publishOn(userKeys(this.options.prefix, user).channel, 'q|');
  }

  /** Every node with a connection of the user closes it and adds to the kick's tally; waits for them all. */
  async kick(user: string, code: number, reason: string): Promise<number> {
    const id = nanoid(12);
    const keys = kickKeys(this.options.prefix, id);
    const nodes = await this.publishOn(userKeys(this.options.prefix, user).channel, `k|${code}|${id}|${reason}`);
    const deadline = Date.now() + KICK_WAIT_MS;
    let closed = 0;
    for (;;) {
      const [count, answered] = await this.cmd.mget(keys.closed, keys.nodes);
      closed = Number(count ?? 0);
      if (Number(answered ?? 0) >= nodes || Date.now() >= deadline) return closed;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async ban(user: string, until: number): Promise<void> {
    const key = userKeys(this.options.prefix, user).ban;
    try {
      const ms = until - Date.now();
      if (ms > 0) await this.cmd.set(key, String(until), 'PX', ms);
      else await this.cmd.del(key);
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async bannedUntil(user: string): Promise<number | undefined> {
    try {
      const until = await this.cmd.get(userKeys(this.options.prefix, user).ban);
      return until === null ? undefined : Number(until);
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  // ---- subscriptions -------------------------------------------------------------------------

  private async channel(op: 'subscribe' | 'unsubscribe', channel: string): Promise<void> {
    try {
      if (this.options.cluster)
        await (op === 'subscribe' ? this.sub.ssubscribe(channel) : this.sub.sunsubscribe(channel));
      else await (op === 'subscribe' ? this.sub.subscribe(channel) : this.sub.unsubscribe(channel));
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  subscribeRoom(room: string) {
    return this.channel('subscribe', roomKeys(this.options.prefix, room).channel);
  }
  unsubscribeRoom(room: string) {
    return this.channel('unsubscribe', roomKeys(this.options.prefix, room).channel);
  }
  subscribeUser(user: string) {
    return this.channel('subscribe', userKeys(this.options.prefix, user).channel);
  }
  unsubscribeUser(user: string) {
    return this.channel('unsubscribe', userKeys(this.options.prefix, user).channel);
  }

  // ---- rooms ---------------------------------------------------------------------------------

  publishRoom(draft: RoomDraft): Promise<Outcome> {
    const keys = roomKeys(this.options.prefix, draft.room);
    const retention = this.options.history(draft.room);
    const idem = draft.key === undefined ? keys.meta : keys.idem(draft.user, draft.key);
    return this.once(draft.user, draft.key, `r:${draft.room}`, () =>
      this.cmd['publish-room'](
        3,
        keys.meta,
        keys.log,
        idem,
        MESSAGE_HEAD,
        draft.tail,
        `{"room":${JSON.stringify(draft.room)},"seq":`,
        `,"msg":"${draft.msg}"}`,
        draft.ts,
        nanoid(12),
        retention.size,
        retention.ttlS * 1000,
        draft.key === undefined ? '0' : '1',
        keys.channel,
        this.sharded,
        IDEMPOTENCY_TTL_MS,
      ),
    );
  }

  private async readRoom(
    room: string,
    mode: 'since' | 'before' | 'state',
    at: number | undefined,
    count: number,
    epoch = '',
  ) {
    const keys = roomKeys(this.options.prefix, room);
    const { ttlS } = this.options.history(room);
    try {
      const [currentEpoch, seq, entries] = (await this.cmd['read-room'](
        2,
        keys.meta,
        keys.log,
        nanoid(12),
        ttlS * 1000,
        mode,
        at === undefined ? '' : at,
        count,
        epoch,
      )) as [string, number, StreamEntry[]];
      return { epoch: currentEpoch, seq: Number(seq), messages: this.retained(entries, ttlS) };
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async roomSince(room: string, since: number | undefined, epoch?: string): Promise<RoomRead> {
    if (since === undefined) return { ...(await this.readRoom(room, 'state', undefined, 0)), complete: true };
    const read = await this.readRoom(room, 'since', since, Math.max(1, this.options.history(room).size), epoch);
    return { ...read, complete: isComplete(read, since, epoch) };
  }

  async roomHistory(
    room: string,
    before: number | undefined,
    limit: number,
  ): Promise<RoomState & { messages: StoredFrame[] }> {
    const read = await this.readRoom(room, 'before', before, limit);
    read.messages.reverse();
    return read;
  }

  // ---- direct messages -----------------------------------------------------------------------

  sendDm(draft: DmDraft): Promise<Outcome> {
    const keys = userKeys(this.options.prefix, draft.to);
    const idem = draft.key === undefined ? keys.inbox : keys.idem(draft.from, draft.key);
    return this.once(draft.from, draft.key, `u:${draft.to}`, () =>
      this.cmd['send-dm'](
        3,
        keys.inbox,
        keys.log,
        idem,
        DM_HEAD,
        draft.tail,
        `{"msg":"${draft.msg}","online":`,
        draft.ts,
        this.options.inbox.size,
        this.options.inbox.ttlS * 1000,
        draft.key === undefined ? '0' : '1',
        keys.channel,
        this.sharded,
        this.options.inbox.unseenTtlS * 1000,
        IDEMPOTENCY_TTL_MS,
      ),
    );
  }

  async inbox(user: string): Promise<StoredFrame[]> {
    const keys = userKeys(this.options.prefix, user);
    try {
      const [confirmed, entries] = (await this.cmd['open-inbox'](
        2,
        keys.inbox,
        keys.log,
        this.options.inbox.ttlS * 1000,
      )) as [string, StreamEntry[]];
      const floor = Number(confirmed);
      return this.retained(entries, this.options.inbox.ttlS).filter((m) => m.seq > floor);
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async confirm(user: string, upTo: number): Promise<number> {
    const keys = userKeys(this.options.prefix, user);
    try {
      return Number(await this.cmd['confirm-inbox'](2, keys.inbox, keys.log, upTo));
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  // ---- idempotency ---------------------------------------------------------------------------

  /**
   * A key belongs to one user across rooms and dms. The user's claim (SET NX in the user's slot)
   * records where the first request went; the target's script stores the reply in its own slot,
   * so a retry after an unknown outcome re-runs the same script there and is applied at most once.
   */
  private async once(
    user: string,
    key: string | undefined,
    target: string,
    run: () => Promise<unknown>,
  ): Promise<Outcome> {
    try {
      if (key !== undefined) {
        const claim = userKeys(this.options.prefix, user).claim(key);
        const prior = (await this.cmd.call('SET', claim, target, 'PX', IDEMPOTENCY_TTL_MS, 'NX', 'GET')) as
          string | null;
        if (prior !== null && prior !== target) return { reply: await this.replyAt(prior, user, key), duplicate: true };
      }
      const [fresh, reply] = (await run()) as [number, string];
      return { reply: JSON.parse(reply) as Reply, duplicate: Number(fresh) === 0 };
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  /** The first reply stored at another target; it may still be in flight, so wait briefly. */
  private async replyAt(target: string, user: string, key: string): Promise<Reply> {
    const name = target.slice(2);
    const idem = target.startsWith('r:')
      ? roomKeys(this.options.prefix, name).idem(user, key)
      : userKeys(this.options.prefix, name).idem(user, key);
    const deadline = Date.now() + this.options.timeoutMs;
    for (;;) {
      const reply = await this.cmd.get(idem);
      if (reply !== null) return JSON.parse(reply) as Reply;
      if (Date.now() > deadline)
        throw new ProtocolError('unavailable', 'the first request with this key has no outcome yet; retry');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // ---- node registry (registry.redis.ts) -----------------------------------------------------

  announce(stats: NodeAnnouncement, ttlMs: number, topRooms: RoomCount[]): Promise<void> {
    return this.registry.announce(stats, ttlMs, topRooms);
  }
  topRooms(limit: number): Promise<RoomCount[]> {
    return this.registry.topRooms(limit);
  }
  nodes(): Promise<NodeAnnouncement[]> {
    return this.registry.nodes();
  }

  async close(): Promise<void> {
    clearInterval(this.health);
    await Promise.allSettled([...new Set([this.cmd, this.sub])].map((c) => c.quit()));
  }

  private retained(entries: StreamEntry[], ttlS: number): StoredFrame[] {
    const oldest = Date.now() - ttlS * 1000;
    const out: StoredFrame[] = [];
    for (const [id, fields] of entries) {
      let frame = '';
      let ts = 0;
      for (let i = 0; i < fields.length; i += 2) {
        if (fields[i] === 'f') frame = fields[i + 1]!;
        else if (fields[i] === 't') ts = Number(fields[i + 1]);
      }
      if (ts >= oldest) out.push({ seq: parseInt(id, 10), frame });
    }
    return out;
  }
}
