// A room handle: join/leave/send/history/presence, its own events, and the last seq it has seen.
import type { JoinAck, MessageFrame, PresenceUser, SendAck, UserJoined, UserLeft } from '@chorus/protocol';
import { Emitter } from './emitter.js';

export interface RoomEvents {
  [event: string]: unknown;
  message: MessageFrame;
  user_joined: UserJoined;
  user_left: UserLeft;
  /** A (re)join could not replay everything since the last seq seen: the app may reload history. */
  recovery: { room: string; recovered: false; epochChanged: boolean };
}

/** What a room needs of its client; kept narrow so the two can be read apart. */
export interface RoomHost {
  joinRoom(room: Room): Promise<JoinAck>;
  leaveRoom(room: Room): Promise<void>;
  request<T>(frame: Record<string, unknown>, options?: { retry?: boolean }): Promise<T>;
  newKey(): string;
}

export class Room extends Emitter<RoomEvents> {
  /** The epoch of the sequence `lastSeq` belongs to (undefined before the first join). */
  epoch: string | undefined;
  /** The highest seq delivered to the app; a rejoin asks for everything after it. */
  lastSeq = 0;
  /** The app wants to be in this room (it is rejoined after every reconnect). */
  wanted = false;

  constructor(
    readonly name: string,
    private readonly host: RoomHost,
  ) {
    super();
  }

  join(): Promise<JoinAck> {
    this.wanted = true;
    return this.host.joinRoom(this);
  }

  leave(): Promise<void> {
    this.wanted = false;
    return this.host.leaveRoom(this);
  }

  /** Sent at most once: a key is generated unless given, and kept across reconnects and retries. */
  send(body: unknown, options: { key?: string } = {}): Promise<SendAck> {
    const key = options.key ?? this.host.newKey();
    return this.host.request<SendAck>({ type: 'send', room: this.name, body, key }, { retry: true });
  }

  async history(options: { before?: number; limit?: number } = {}): Promise<MessageFrame[]> {
    const reply = await this.host.request<{ messages: MessageFrame[] }>(
      { type: 'history', room: this.name, ...options },
      { retry: true },
    );
    return reply.messages;
  }

  async presence(): Promise<PresenceUser[]> {
    const reply = await this.host.request<{ users: PresenceUser[] }>(
      { type: 'presence', room: this.name },
      { retry: true },
    );
    return reply.users;
  }

  /** Called by the client for each room frame; returns false for a duplicate. */
  deliver(frame: MessageFrame): boolean {
    if (frame.seq <= this.lastSeq) return false;
    this.lastSeq = frame.seq;
    this.emit('message', frame);
    return true;
  }

  /** Called by the client for each join ack (first join or rejoin). */
  joined(ack: JoinAck, asked: { since?: number; epoch?: string }): void {
    const epochChanged = this.epoch !== undefined && this.epoch !== ack.epoch;
    this.epoch = ack.epoch;
    // A room whose latest seq is below what we saw went back (the bus lost writes): seqs above it will be
    // reused by new messages, so they must not be dropped as duplicates.
    const wentBack = asked.since !== undefined && ack.seq < asked.since;
    if (asked.since === undefined || epochChanged || wentBack) this.lastSeq = ack.seq;
    if (ack.recovered === false) this.emit('recovery', { room: this.name, recovered: false, epochChanged });
  }

  presenceEvent(frame: UserJoined | UserLeft): void {
    if (frame.type === 'user_joined') this.emit('user_joined', frame);
    else this.emit('user_left', frame);
  }
}
