// One room on one node: keeps the room's messages in seq order, fills gaps, and joins members gap-free.
import { CLOSE, ProtocolError, compactMessage } from '@chorus/protocol';
import type { Bus, RoomRead } from '../bus/bus.js';
import type { Occupancy, PresenceDiff, UserCount } from '../bus/presence.js';
import type { RoomOptions } from '../namespaces.js';
import { RoomPresence } from './room-presence.js';
import { SharedReads } from './shared-reads.js';
import type { Connection } from '../transport/transport.js';

/** What a feed needs of a local member connection. */
export interface RoomMember {
  readonly conn: Connection;
  readonly connId: string;
  close(code: number, reason: string): void;
}

export interface FeedHost {
  readonly bus: Bus;
  /** The window of batched presence diffs and occupancy counts (PRESENCE_BATCH_MS). */
  readonly presenceWindowMs: number;
  /** PRESENCE_EACH_MAX: past it an `each` room's members get counts, not per-user events. */
  readonly presenceEachMax: number;
  /** How long a recovering join waits for others to share its read (shared-reads.ts; undefined: the default). */
  readonly gatherMs?: number;
  publish(topic: string, frame: string): number;
  /** How many sockets subscribe to `topic` on this node. */
  subscribers(topic: string): number;
  /** A room went silent on this node (no members, no joiners): forget it. */
  idle(feed: RoomFeed): void;
  onGapFilled?(room: string, count: number): void;
}

export interface JoinRequest {
  since: number | undefined;
  epoch: string | undefined;
}

export interface JoinResult {
  room: string;
  seq: number;
  epoch: string;
  recovered?: boolean;
}

/** A buffered live frame: seq −1 marks a presence event, always delivered. */
interface Buffered {
  seq: number;
  frame: string;
}

interface Joiner {
  member: RoomMember;
  buffer: Buffered[];
  /** The version of the joiner's own presence write, once it is known. */
  presenceVersion?: number;
}

/** How long a join waits for the feed to reach the seq its read saw before the feed re-reads the stream. */
const CATCH_UP_MS = 1_000;

export const roomTopic = (room: string) => `r:${room}`;
/** Members that chose the compact encoding (§10.7) get the room's messages on a topic of their own. */
export const compactRoomTopic = (room: string) => `c:${room}`;

export class RoomFeed {
  readonly topic: string;
  readonly compactTopic: string;
  /** The last seq delivered on this node; undefined until the first read tells where the room is. */
  private lastSeq: number | undefined;
  private epoch: string | undefined;
  private readonly members = new Set<RoomMember>();
  private readonly joiners = new Set<Joiner>();
  /** Live frames that arrived before the first read. */
  private early: Array<{ seq: number; epoch: string; frame: string }> = [];
  /** Frames held while a gap is being filled from the stream. */
  private held: Array<{ seq: number; epoch: string; frame: string }> | undefined;
  private subscription: Promise<void> | undefined;
  /** Reads for joins, shared by the joins that wait together. */
  readonly reads: SharedReads;
  private users = 0;
  private usersVersion = 0;
  /**
   * In an `each` room: the presence version of each member's own join, so a per-user event that arrives after
   * a later joiner became a member is not sent to it (the change is in that member's `presence`).
   */
  private joinVersions: Map<RoomMember, number> | undefined;
  private newestJoin = 0;
  /** Joins and rejoins waiting for the node to deliver the seq their read saw. */
  private positionWaiters: Set<() => void> | undefined;
  /** Windows of diffs and counts: only for rooms that get them (memory per room). */
  private presence: RoomPresence | undefined;

  constructor(
    readonly room: string,
    /** The room's namespace options, resolved once for the feed's life. */
    readonly options: RoomOptions,
    private readonly host: FeedHost,
  ) {
    this.topic = roomTopic(room);
    this.compactTopic = compactRoomTopic(room);
    this.reads = new SharedReads((since, epoch) => host.bus.messages.roomSince(room, since, epoch), host.gatherMs);
  }

  private topicOf(conn: Connection): string {
    return conn.compact ? this.compactTopic : this.topic;
  }

  /** A room message as `conn` takes it: the bus's v1 frame, or its compact form. */
  private messageFor(conn: Connection, frame: string): string {
    return conn.compact ? (compactMessage(frame) ?? frame) : frame;
  }

  get size(): number {
    return this.members.size + this.joiners.size;
  }

  // ---- live traffic from the bus -------------------------------------------------------------

  onMessage(seq: number, epoch: string, frame: string): void {
    if (this.lastSeq === undefined) {
      if (this.size > 0) this.early.push({ seq, epoch, frame });
      return;
    }
    if (this.held) {
      this.held.push({ seq, epoch, frame });
      return;
    }
    if (epoch !== this.epoch) return this.restart('room sequence started over');
    if (seq <= this.lastSeq) return; // already delivered (a replayed frame after a resubscribe)
    if (seq > this.lastSeq + 1) {
      this.held = [{ seq, epoch, frame }];
      void this.fillGap();
      return;
    }
    this.deliver(seq, frame);
  }

  /**
   * The room's latest user count as this node last learned it (its own presence writes, and the events).
   * In an `each` room past PRESENCE_EACH_MAX, a per-user event that arrives late (a join storm) is dropped:
   * the members get the room's counts instead (§10.2), so a storm costs O(N) frames, not O(N²).
   */
  noteUsers({ users, version }: UserCount): void {
    if (version < this.usersVersion) return;
    this.users = users;
    this.usersVersion = version;
  }

  onUserEvent(originConn: string, frame: string, origin: RoomMember | undefined, version: number): void {
    if (this.users > this.host.presenceEachMax) return;
    if (version > this.newestJoin || !this.joinVersions) this.onEvent(originConn, frame, origin);
    else {
      // Late news (a join storm): only members that joined before the change hear of it.
      for (const member of this.members) {
        if (member.connId !== originConn && (this.joinVersions.get(member) ?? 0) < version) member.conn.send(frame);
      }
    }
    // A joiner hears of changes after its own (those before are in `presence`), never of its own.
    for (const joiner of this.joiners) {
      if (
        joiner.presenceVersion !== undefined &&
        version > joiner.presenceVersion &&
        joiner.member.connId !== originConn
      )
        joiner.buffer.push({ seq: -1, frame });
    }
  }

  /** A room signal (§10.3): to the members on this node except the sender; never buffered, never replayed. */
  onSignal(originConn: string, frame: string, origin: RoomMember | undefined): void {
    this.onEvent(originConn, frame, origin);
  }

  /** A presence frame to the room's members on this node, except the connection whose change it is. */
  private onEvent(originConn: string, frame: string, origin: RoomMember | undefined): void {
    // events are the same frame in both encodings: every topic gets it, the origin's without the origin
    const own = origin && this.members.has(origin) ? this.topicOf(origin.conn) : undefined;
    for (const topic of [this.topic, this.compactTopic]) {
      if (topic === own) origin!.conn.publishExceptSelf(topic, frame);
      else this.host.publish(topic, frame);
    }
  }

  onDiff(origins: readonly string[], diff: PresenceDiff): void {
    this.windows().onDiff(origins, diff);
  }

  onOccupancy(counts: Occupancy): void {
    this.windows().onOccupancy(counts);
  }

  private windows(): RoomPresence {
    return (this.presence ??= new RoomPresence(
      { room: this.room, broadcast: (frame, except) => this.broadcast(frame, except) },
      this.host.presenceWindowMs,
    ));
  }

  /** A windowed presence frame (diff, counts) to every member on this node, except the connection `except`. */
  private broadcast(frame: string, except: string | undefined): void {
    const origin = except === undefined ? undefined : [...this.members].find((m) => m.connId === except);
    this.onEvent(except ?? '', frame, origin);
  }

  /** After the bus reconnects: anything published meanwhile is read back from the stream. */
  resync(): void {
    if (this.lastSeq === undefined || this.held) return;
    this.held = [];
    void this.fillGap();
  }

  private deliver(seq: number, frame: string): void {
    this.lastSeq = seq;
    this.host.publish(this.topic, frame);
    // transcoded once per message and node, only when a member here chose the compact encoding
    if (this.host.subscribers(this.compactTopic) > 0) {
      this.host.publish(this.compactTopic, compactMessage(frame) ?? frame);
    }
    for (const joiner of this.joiners) joiner.buffer.push({ seq, frame });
    if (this.positionWaiters) for (const check of [...this.positionWaiters]) check();
  }

  /** Read what the node missed after lastSeq; deliver it and the held frames, or restart the room. */
  private async fillGap(): Promise<void> {
    const from = this.lastSeq!;
    let read: RoomRead;
    try {
      read = await this.host.bus.messages.roomSince(this.room, from);
    } catch {
      return this.restart('bus interruption');
    }
    // `complete` is false when the room's latest seq is now below what this node delivered: Redis lost
    // writes (a crash before its AOF caught up) and the sequence went back. Members must rejoin and learn it.
    if (read.epoch !== this.epoch || !read.complete) return this.restart('messages lost on the bus');
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of read.messages) if (m.seq === this.lastSeq! + 1) this.deliver(m.seq, m.frame);
    this.host.onGapFilled?.(this.room, read.messages.length);
    for (const h of held) this.onMessage(h.seq, h.epoch, h.frame);
  }

  /**
   * The node can no longer promise its members a gap-free sequence: close them with 1013 so they
   * rejoin with `since` (PROTOCOL.md §3), and start again from the next read. `keep` is a joiner whose own
   * read found the room's new position: it goes on joining there, with nothing of the old sequence buffered.
   */
  private restart(reason: string, keep?: Joiner): void {
    this.lastSeq = undefined;
    this.epoch = undefined;
    this.held = undefined;
    this.early = [];
    const members = [...this.members];
    const joiners = [...this.joiners].filter((j) => j !== keep);
    this.members.clear();
    this.joiners.clear();
    if (keep) {
      keep.buffer = [];
      this.joiners.add(keep);
    }
    this.joinVersions = undefined;
    for (const m of members) m.close(CLOSE.tryAgainLater, reason);
    for (const j of joiners) j.member.close(CLOSE.tryAgainLater, reason);
    // releases the joins and rejoins waiting for the node to catch up: they see they were dropped
    if (this.positionWaiters) for (const check of [...this.positionWaiters]) check();
    this.host.idle(this);
  }

  // ---- membership ----------------------------------------------------------------------------

  /**
   * Join `member`: subscribe the node, read where the room is (with `alongside`, the presence
   * update, in parallel), send the ack, replay what `since`
   * asks for, then the live frames buffered meanwhile, then subscribe the socket — the last three
   * synchronously, so nothing slips between replay and live.
   */
  async join(
    member: RoomMember,
    request: JoinRequest,
    alongside: Promise<UserCount | undefined>,
    sendAck: (result: JoinResult) => void,
  ): Promise<number> {
    this.members.delete(member); // never twice in the room while the join replays
    this.joinVersions?.delete(member);
    member.conn.unsubscribe(this.topicOf(member.conn));
    const joiner: Joiner = { member, buffer: [] };
    this.joiners.add(joiner);
    try {
      await this.subscribe();
      const [read, presence] = await Promise.all([this.reads.read(request.since, request.epoch), alongside]);
      // From here the joiner hears the per-user events that came after its own presence write.
      joiner.presenceVersion = presence?.version ?? 0;
      this.adopt(read, joiner);
      await this.delivered(read.seq); // so the joiner's buffer continues the read
      if (member.conn.closed || !this.joiners.has(joiner)) throw new ProtocolError('unavailable', 'connection closed');
      return this.finishJoin(joiner, request, read, sendAck);
    } finally {
      if (this.joiners.delete(joiner) && this.size === 0) this.host.idle(this);
    }
  }

  /** Returns the bytes replayed (what the join read for the client). */
  private finishJoin(joiner: Joiner, request: JoinRequest, read: RoomRead, sendAck: (r: JoinResult) => void): number {
    const { since } = request;
    const result: JoinResult = { room: this.room, seq: read.seq, epoch: read.epoch };
    let sent = read.seq;
    let replayedBytes = 0;
    // The bus read nothing for another epoch; a namespace that keeps no history never recovers (§10.1).
    if (since !== undefined) result.recovered = read.complete && this.options.history > 0;
    sendAck(result);
    const conn = joiner.member.conn;
    for (const m of read.messages) {
      conn.send(this.messageFor(conn, m.frame));
      replayedBytes += m.frame.length;
    }
    for (const b of joiner.buffer) {
      if (b.seq === -1) conn.send(b.frame);
      else if (b.seq > sent) {
        conn.send(this.messageFor(conn, b.frame));
        sent = b.seq;
      }
    }
    this.joiners.delete(joiner);
    this.members.add(joiner.member);
    if (this.options.presence === 'each' && joiner.presenceVersion) {
      (this.joinVersions ??= new Map()).set(joiner.member, joiner.presenceVersion);
      this.newestJoin = Math.max(this.newestJoin, joiner.presenceVersion);
    }
    conn.subscribe(this.topicOf(conn));
    return replayedBytes;
  }

  /**
   * A member joins again (§3: it answers like a join). It already receives every message after the node's
   * position, so nothing is replayed (§10.8); but the ack's seq must be the room's latest, which the node may not
   * have delivered yet (the member's own send can be acked before its pub/sub message arrives). So the room's
   * head is read (no messages) and the answer waits until the node has delivered up to it. Undefined when it is
   * not a member, or the room started over meanwhile: then it joins anew.
   */
  async rejoin(member: RoomMember, request: JoinRequest): Promise<JoinResult | undefined> {
    if (!this.members.has(member) || this.epoch === undefined) return undefined;
    const head = await this.reads.read(undefined, undefined);
    if (head.epoch !== this.epoch) return undefined;
    await this.delivered(head.seq);
    if (!this.members.has(member) || this.lastSeq === undefined || this.epoch === undefined) return undefined;
    const result: JoinResult = { room: this.room, seq: this.lastSeq, epoch: this.epoch };
    if (request.since !== undefined) {
      result.recovered = (request.epoch === undefined || request.epoch === this.epoch) && request.since <= this.lastSeq;
    }
    return result;
  }

  /**
   * Resolves once the node has delivered `seq`, or the room restarted. A message that is late by CATCH_UP_MS
   * (lost on the way) makes the feed re-read the stream.
   */
  private delivered(seq: number): Promise<void> {
    if ((this.lastSeq ?? Infinity) >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.resync(), CATCH_UP_MS);
      const check = () => {
        if (this.lastSeq !== undefined && this.lastSeq < seq) return;
        clearTimeout(timer);
        this.positionWaiters!.delete(check);
        resolve();
      };
      (this.positionWaiters ??= new Set()).add(check);
    });
  }

  /** The first read on this node tells where the room is; early frames after it are delivered. */
  private adopt(read: RoomRead, joiner: Joiner): void {
    if (this.lastSeq !== undefined && this.epoch === read.epoch) return;
    if (this.lastSeq !== undefined) this.restart('room sequence started over', joiner);
    this.lastSeq = read.seq;
    this.epoch = read.epoch;
    const early = this.early;
    this.early = [];
    for (const e of early) this.onMessage(e.seq, e.epoch, e.frame);
  }

  leave(member: RoomMember): boolean {
    const was = this.members.delete(member);
    this.joinVersions?.delete(member);
    member.conn.unsubscribe(this.topicOf(member.conn));
    if (this.size === 0) this.host.idle(this);
    return was;
  }

  /** The feed is forgotten: no window may fire into it. */
  stop(): void {
    this.presence?.stop();
    this.presence = undefined;
  }

  private subscribe(): Promise<void> {
    this.subscription ??= this.host.bus.broker.subscribeRoom(this.room).catch((err: unknown) => {
      this.subscription = undefined;
      throw err;
    });
    return this.subscription;
  }

  /** Called by the registry once the feed is idle and forgotten. */
  async unsubscribe(): Promise<void> {
    if (!this.subscription) return;
    this.subscription = undefined;
    await this.host.bus.broker.unsubscribeRoom(this.room);
  }
}
