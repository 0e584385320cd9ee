// Room logs and inboxes in Redis: streams with ids <seq>-0, each append one Lua script that claims the
// idempotency key, sequences, stores and publishes, all in the room's (or the recipient's) slot.
import { nanoid } from 'nanoid';
import type { Logger } from 'pino';
import { IDEMPOTENCY_TTL_MS, ProtocolError } from '@chorus/protocol';
import { DM_HEAD, MESSAGE_HEAD } from '../../outbound.js';
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
import { busError, type Scripted } from './commands.js';
import { roomKeys, userKeys } from './keys.js';

export interface RedisLogOptions {
  prefix: string;
  cluster: boolean;
  /** Each room's history (its namespace's `history` and `historyTtlS`). */
  history: (room: string) => Retention;
  inbox: InboxRetention;
  /** How long a repeat waits for the first request's reply stored at another target. */
  timeoutMs: number;
}

type StreamEntry = [id: string, fields: string[]];

export class RedisMessageLog implements MessageLog {
  private readonly sharded: '1' | '0';

  constructor(
    private readonly cmd: Scripted,
    private readonly options: RedisLogOptions,
    private readonly log: Logger,
  ) {
    this.sharded = options.cluster ? '1' : '0';
  }

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
      return { epoch: currentEpoch, seq: Number(seq), messages: retainedFrames(entries, ttlS) };
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async roomSince(room: string, since: number | undefined, epoch?: string): Promise<RoomRead> {
    if (since === undefined) return { ...(await this.readRoom(room, 'state', undefined, 0)), complete: true };
    const read = await this.readRoom(room, 'since', since, Math.max(1, this.options.history(room).size), epoch);
    return { ...read, complete: isComplete(read, since, epoch) };
  }

  async roomHistory(room: string, before: number | undefined, limit: number): Promise<RoomPage> {
    const read = await this.readRoom(room, 'before', before, limit);
    read.messages.reverse();
    return read;
  }

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
      return retainedFrames(entries, this.options.inbox.ttlS).filter((m) => m.seq > floor);
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
}

/** Stream entries as stored frames, without those past retention (a stream trims by length, not by age). */
const retainedFrames = (entries: StreamEntry[], ttlS: number): StoredFrame[] => {
  const parsed = entries.map(([id, fields]) => {
    let frame = '';
    let ts = 0;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'f') frame = fields[i + 1]!;
      else if (fields[i] === 't') ts = Number(fields[i + 1]);
    }
    return { seq: parseInt(id, 10), frame, ts };
  });
  return retained(parsed, ttlS, Date.now()).map(({ seq, frame }) => ({ seq, frame }));
};
