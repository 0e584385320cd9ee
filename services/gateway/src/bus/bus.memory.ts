// The embedded bus: one node, everything in process memory, the same semantics as Redis.
import { nanoid } from 'nanoid';
import { IDEMPOTENCY_TTL_MS } from '@chorus/protocol';
import { DM_HEAD, MESSAGE_HEAD, sequenced } from '../outbound.js';
import {
  biggestRooms,
  isComplete,
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
import { MemoryPresence } from './presence.memory.js';

export interface RetentionOptions {
  /** Each room's history (its namespace's `history` and `historyTtlS`). */
  history: (room: string) => Retention;
  inbox: { size: number; ttlS: number; unseenTtlS: number };
  now?: () => number;
}

interface Entry extends StoredFrame {
  ts: number;
}
interface Room {
  epoch: string;
  seq: number;
  log: Entry[];
  touchedAt: number;
}
interface Inbox {
  seq: number;
  confirmed: number;
  log: Entry[];
  /** The user has connected: the inbox is kept for the full inbox TTL, not the never-seen one. */
  seen: boolean;
  touchedAt: number;
}
interface Claim {
  expiresAt: number;
  reply: Promise<Reply>;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory';
  readonly connected = true;
  private listener: BusListener | undefined;
  private readonly rooms = new Map<string, Room>();
  private readonly inboxes = new Map<string, Inbox>();
  private readonly claims = new Map<string, Claim>();
  private readonly roomSubs = new Set<string>();
  private readonly userSubs = new Set<string>();
  readonly presence = new MemoryPresence(() => this.listener);
  private readonly nodeStats = new Map<string, { stats: NodeAnnouncement; topRooms: RoomCount[]; expiresAt: number }>();
  private readonly bans = new Map<string, number>();
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: RetentionOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), 10_000).unref();
  }

  async start(listener: BusListener): Promise<void> {
    this.listener = listener;
  }

  async subscribeRoom(room: string) {
    this.roomSubs.add(room);
  }
  async unsubscribeRoom(room: string) {
    this.roomSubs.delete(room);
  }
  async subscribeUser(user: string) {
    this.userSubs.add(user);
  }
  async unsubscribeUser(user: string) {
    this.userSubs.delete(user);
  }

  publishRoom(draft: RoomDraft): Promise<Outcome> {
    return this.once(draft.user, draft.key, () => {
      const room = this.room(draft.room);
      const seq = ++room.seq;
      const frame = sequenced(MESSAGE_HEAD, seq, draft.tail);
      room.log.push({ seq, frame, ts: draft.ts });
      while (room.log.length > this.options.history(draft.room).size) room.log.shift();
      room.touchedAt = this.now();
      if (this.roomSubs.has(draft.room)) this.listener?.roomMessage(draft.room, seq, room.epoch, frame);
      return { room: draft.room, seq, msg: draft.msg };
    });
  }

  async roomSince(name: string, since: number | undefined, epoch?: string): Promise<RoomRead> {
    const room = this.room(name);
    if (since === undefined) return { epoch: room.epoch, seq: room.seq, messages: [], complete: true };
    const readable = epoch === undefined || epoch === room.epoch;
    const messages = readable
      ? this.retained(room.log, this.options.history(name).ttlS)
          .filter((m) => m.seq > since)
          .map(strip)
      : [];
    const read = { epoch: room.epoch, seq: room.seq, messages };
    return { ...read, complete: isComplete(read, since, epoch) };
  }

  async roomHistory(
    name: string,
    before: number | undefined,
    limit: number,
  ): Promise<RoomState & { messages: StoredFrame[] }> {
    const room = this.room(name);
    const retained = this.retained(room.log, this.options.history(name).ttlS);
    const eligible = before === undefined ? retained : retained.filter((m) => m.seq < before);
    return { epoch: room.epoch, seq: room.seq, messages: eligible.slice(-limit).map(strip) };
  }

  sendDm(draft: DmDraft): Promise<Outcome> {
    return this.once(draft.from, draft.key, () => {
      const inbox = this.inbox_(draft.to);
      const seq = ++inbox.seq;
      const frame = sequenced(DM_HEAD, seq, draft.tail);
      inbox.log.push({ seq, frame, ts: draft.ts });
      inbox.touchedAt = this.now();
      if (inbox.log.length > this.options.inbox.size) inbox.log.shift(); // a full inbox drops its oldest
      const online = this.userSubs.has(draft.to);
      if (online) this.listener?.userMessage(draft.to, seq, frame);
      return { msg: draft.msg, online };
    });
  }

  /** A connection opens its inbox: the user is seen from now on. */
  async inbox(user: string): Promise<StoredFrame[]> {
    const inbox = this.inbox_(user);
    inbox.seen = true;
    inbox.touchedAt = this.now();
    return this.retained(inbox.log, this.options.inbox.ttlS).map(strip);
  }

  async confirm(user: string, upTo: number): Promise<number> {
    const inbox = this.inboxes.get(user);
    if (!inbox) return 0;
    // Confirming past the newest dm would silently swallow dms not yet sent: clamp to it.
    inbox.confirmed = Math.max(inbox.confirmed, Math.min(upTo, inbox.seq));
    inbox.log = inbox.log.filter((m) => m.seq > inbox.confirmed);
    return inbox.confirmed;
  }

  async signalUser(to: string, frame: string): Promise<boolean> {
    if (!this.userSubs.has(to)) return false;
    this.listener?.userSignal(to, frame);
    return true;
  }

  async signalRoom(room: string, originConn: string, frame: string): Promise<void> {
    if (this.roomSubs.has(room)) this.listener?.roomSignal(room, originConn, frame);
  }

  async userNodes(user: string): Promise<number> {
    return this.userSubs.has(user) ? 1 : 0;
  }

  async kick(user: string, code: number, reason: string): Promise<number> {
    return this.userSubs.has(user) ? (this.listener?.kick(user, code, reason) ?? 0) : 0;
  }

  async ban(user: string, until: number): Promise<void> {
    if (until > this.now()) this.bans.set(user, until);
    else this.bans.delete(user);
  }

  async bannedUntil(user: string): Promise<number | undefined> {
    const until = this.bans.get(user);
    if (until === undefined || until > this.now()) return until;
    this.bans.delete(user);
    return undefined;
  }

  async announce(stats: NodeAnnouncement, ttlMs: number, topRooms: RoomCount[]) {
    this.nodeStats.set(stats.node, { stats, topRooms, expiresAt: this.now() + ttlMs });
  }

  async topRooms(limit: number): Promise<RoomCount[]> {
    const now = this.now();
    const live = [...this.nodeStats.values()].filter((n) => n.expiresAt > now);
    return biggestRooms(
      live.map((n) => n.topRooms),
      limit,
    );
  }

  async nodes(): Promise<NodeAnnouncement[]> {
    const now = this.now();
    return [...this.nodeStats.values()].filter((n) => n.expiresAt > now).map((n) => n.stats);
  }

  async close() {
    clearInterval(this.sweeper);
  }

  /** Runs `work` once per (user, key) for IDEMPOTENCY_TTL_MS; repeats get the first reply. */
  private async once(user: string, key: string | undefined, work: () => Reply): Promise<Outcome> {
    if (key === undefined) return { reply: work(), duplicate: false };
    const id = `${user}\u0000${key}`;
    const claim = this.claims.get(id);
    if (claim && claim.expiresAt > this.now()) return { reply: await claim.reply, duplicate: true };
    const reply = Promise.resolve().then(work);
    this.claims.set(id, { expiresAt: this.now() + IDEMPOTENCY_TTL_MS, reply });
    reply.catch(() => this.claims.delete(id)); // a failed first attempt leaves the key free
    return { reply: await reply, duplicate: false };
  }

  private room(name: string): Room {
    const now = this.now();
    let room = this.rooms.get(name);
    // A room idle past the history TTL has lost everything: its sequence starts over, in a new epoch.
    if (!room || (room.seq > 0 && now - room.touchedAt > this.options.history(name).ttlS * 1000)) {
      room = { epoch: nanoid(12), seq: 0, log: [], touchedAt: now };
      this.rooms.set(name, room);
    }
    return room;
  }

  private inbox_(user: string): Inbox {
    let inbox = this.inboxes.get(user);
    if (!inbox) this.inboxes.set(user, (inbox = { seq: 0, confirmed: 0, log: [], seen: false, touchedAt: this.now() }));
    return inbox;
  }

  private retained(log: Entry[], ttlS: number): Entry[] {
    const oldest = this.now() - ttlS * 1000;
    return log[0] && log[0].ts >= oldest ? log : log.filter((m) => m.ts >= oldest);
  }

  /**
   * Forgets what Redis would have expired (§10.8: nothing a client does may grow this bus for good): rooms
   * past their history TTL, rooms that never had a message and no subscriber (reads of made-up names),
   * inboxes past their TTL (the never-seen TTL for users who never connected), and stale idempotency keys.
   */
  sweep(): void {
    const now = this.now();
    for (const [id, claim] of this.claims) if (claim.expiresAt <= now) this.claims.delete(id);
    for (const [user, until] of this.bans) if (until <= now) this.bans.delete(user);
    for (const [name, room] of this.rooms) {
      if (this.roomSubs.has(name)) continue;
      if (room.seq === 0 || now - room.touchedAt > this.options.history(name).ttlS * 1000) this.rooms.delete(name);
    }
    for (const [user, inbox] of this.inboxes) {
      const ttlS = inbox.seen ? this.options.inbox.ttlS : this.options.inbox.unseenTtlS;
      if (now - inbox.touchedAt > ttlS * 1000 && !this.userSubs.has(user)) this.inboxes.delete(user);
      else inbox.log = this.retained(inbox.log, this.options.inbox.ttlS);
    }
  }

  /** How many rooms and inboxes this bus holds (what the sweep bounds). */
  footprint(): { rooms: number; inboxes: number } {
    return { rooms: this.rooms.size, inboxes: this.inboxes.size };
  }
}

const strip = ({ seq, frame }: Entry): StoredFrame => ({ seq, frame });

export type { RoomState };
