// Room logs and inboxes in process memory: the same rules as the Lua scripts, shared by every node of a hub.
import { nanoid } from 'nanoid';
import { IDEMPOTENCY_TTL_MS } from '@chorus/protocol';
import { DM_HEAD, MESSAGE_HEAD, sequenced } from '../../outbound.js';
import { encode } from '../channel-messages.js';
import {
  isComplete,
  retained,
  type DmDraft,
  type InboxRetention,
  type MessageLog,
  type Outcome,
  type Reply,
  type Retention,
  type RoomDraft,
  type RoomPage,
  type RoomRead,
  type StoredFrame,
} from '../message-log.js';
import type { Channels } from './channels.js';

export interface MemoryLogOptions {
  /** Each room's history (its namespace's `history` and `historyTtlS`). */
  history: (room: string) => Retention;
  inbox: InboxRetention;
  now: () => number;
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

export class MemoryMessageLog implements MessageLog {
  private readonly rooms = new Map<string, Room>();
  private readonly inboxes = new Map<string, Inbox>();
  private readonly claims = new Map<string, Claim>();

  constructor(
    private readonly options: MemoryLogOptions,
    private readonly channels: Channels,
  ) {}

  publishRoom(draft: RoomDraft): Promise<Outcome> {
    return this.once(draft.user, draft.key, () => {
      const room = this.room(draft.room);
      const seq = ++room.seq;
      const frame = sequenced(MESSAGE_HEAD, seq, draft.tail);
      room.log.push({ seq, frame, ts: draft.ts });
      while (room.log.length > this.options.history(draft.room).size) room.log.shift();
      room.touchedAt = this.options.now();
      if (this.channels.listened('r', draft.room)) {
        this.channels.publish('r', draft.room, encode.roomMessage(seq, room.epoch, frame));
      }
      return { room: draft.room, seq, msg: draft.msg };
    });
  }

  async roomSince(name: string, since: number | undefined, epoch?: string): Promise<RoomRead> {
    const room = this.room(name);
    if (since === undefined) return { epoch: room.epoch, seq: room.seq, messages: [], complete: true };
    const readable = epoch === undefined || epoch === room.epoch;
    const messages = readable ? this.retainedOf(room.log, this.options.history(name).ttlS, (m) => m.seq > since) : [];
    const read = { epoch: room.epoch, seq: room.seq, messages };
    return { ...read, complete: isComplete(read, since, epoch) };
  }

  async roomHistory(name: string, before: number | undefined, limit: number): Promise<RoomPage> {
    const room = this.room(name);
    const eligible = this.retainedOf(
      room.log,
      this.options.history(name).ttlS,
      (m) => before === undefined || m.seq < before,
    );
    return { epoch: room.epoch, seq: room.seq, messages: eligible.slice(-limit) };
  }

  sendDm(draft: DmDraft): Promise<Outcome> {
    return this.once(draft.from, draft.key, () => {
      const inbox = this.inboxOf(draft.to);
      const seq = ++inbox.seq;
      const frame = sequenced(DM_HEAD, seq, draft.tail);
      inbox.log.push({ seq, frame, ts: draft.ts });
      inbox.touchedAt = this.options.now();
      if (inbox.log.length > this.options.inbox.size) inbox.log.shift(); // a full inbox drops its oldest
      const online = this.channels.publish('u', draft.to, encode.userMessage(seq, frame)) > 0;
      return { msg: draft.msg, online };
    });
  }

  async inbox(user: string): Promise<StoredFrame[]> {
    const inbox = this.inboxOf(user);
    inbox.seen = true;
    inbox.touchedAt = this.options.now();
    return this.retainedOf(inbox.log, this.options.inbox.ttlS, (m) => m.seq > inbox.confirmed);
  }

  async confirm(user: string, upTo: number): Promise<number> {
    const inbox = this.inboxes.get(user);
    if (!inbox) return 0;
    // Confirming past the newest dm would silently swallow dms not yet sent: clamp to it.
    inbox.confirmed = Math.max(inbox.confirmed, Math.min(upTo, inbox.seq));
    inbox.log = inbox.log.filter((m) => m.seq > inbox.confirmed);
    return inbox.confirmed;
  }

  /**
   * A fault for tests: the room loses its newest `count` messages and its sequence goes back, as when Redis
   * restarts from a snapshot older than its last writes.
   */
  rollBack(name: string, count: number): void {
    const room = this.rooms.get(name);
    if (!room) return;
    room.seq = Math.max(0, room.seq - count);
    room.log = room.log.filter((m) => m.seq <= room.seq);
  }

  /** Runs `work` once per (user, key) for IDEMPOTENCY_TTL_MS; repeats get the first reply. */
  private async once(user: string, key: string | undefined, work: () => Reply): Promise<Outcome> {
    if (key === undefined) return { reply: work(), duplicate: false };
    const id = `${user}\u0000${key}`;
    const claim = this.claims.get(id);
    if (claim && claim.expiresAt > this.options.now()) return { reply: await claim.reply, duplicate: true };
    const reply = Promise.resolve().then(work);
    this.claims.set(id, { expiresAt: this.options.now() + IDEMPOTENCY_TTL_MS, reply });
    reply.catch(() => this.claims.delete(id)); // a failed first attempt leaves the key free
    return { reply: await reply, duplicate: false };
  }

  private room(name: string): Room {
    const now = this.options.now();
    let room = this.rooms.get(name);
    // A room idle past the history TTL has lost everything: its sequence starts over, in a new epoch.
    if (!room || (room.seq > 0 && now - room.touchedAt > this.options.history(name).ttlS * 1000)) {
      room = { epoch: nanoid(12), seq: 0, log: [], touchedAt: now };
      this.rooms.set(name, room);
    }
    return room;
  }

  private inboxOf(user: string): Inbox {
    let inbox = this.inboxes.get(user);
    if (!inbox) {
      inbox = { seq: 0, confirmed: 0, log: [], seen: false, touchedAt: this.options.now() };
      this.inboxes.set(user, inbox);
    }
    return inbox;
  }

  private retainedOf(log: Entry[], ttlS: number, wanted: (m: Entry) => boolean): StoredFrame[] {
    const out: StoredFrame[] = [];
    for (const m of retained(log, ttlS, this.options.now())) if (wanted(m)) out.push({ seq: m.seq, frame: m.frame });
    return out;
  }

  /**
   * Forgets what Redis would have expired (§10.8: nothing a client does may grow the bus for good): rooms
   * past their history TTL, rooms that never had a message and no listener (reads of made-up names),
   * inboxes past their TTL (the never-seen TTL for users who never connected), and stale idempotency keys.
   */
  sweep(): void {
    const now = this.options.now();
    for (const [id, claim] of this.claims) if (claim.expiresAt <= now) this.claims.delete(id);
    for (const [name, room] of this.rooms) {
      if (this.channels.listened('r', name)) continue;
      if (room.seq === 0 || now - room.touchedAt > this.options.history(name).ttlS * 1000) this.rooms.delete(name);
    }
    for (const [user, inbox] of this.inboxes) {
      const ttlS = inbox.seen ? this.options.inbox.ttlS : this.options.inbox.unseenTtlS;
      if (now - inbox.touchedAt > ttlS * 1000 && !this.channels.listened('u', user)) this.inboxes.delete(user);
      else inbox.log = [...retained(inbox.log, this.options.inbox.ttlS, now)];
    }
  }

  /** How many rooms and inboxes the log holds (what the sweep bounds). */
  footprint(): { rooms: number; inboxes: number } {
    return { rooms: this.rooms.size, inboxes: this.inboxes.size };
  }
}
