// Presence in Redis: per-room hashes and a lexicographic set, changed by presence-apply.lua; and the node's
// own room set, which lets any node clear this one's presence if it dies without a goodbye.
import type { Logger } from 'pino';
import { nodeKeys } from '@chorus/redis';
import { roomKeys } from './keys.js';
import { busError, type Scripted } from './commands.js';
import type { Applied, Occupancy, PresenceChange, PresencePage, PresencePolicy, PresenceStore } from '../presence.js';

export interface RedisPresenceOptions {
  prefix: string;
  node: string;
  sharded: boolean;
}

/** A reaper's lock on a dead node, renewed after every batch of rooms. */
export const REAPER_LOCK_MS = 10_000;
const REAP_BATCH = 200;

export class RedisPresence implements PresenceStore {
  private readonly registry;
  /** Rooms with members on this node, and the write that records each in the node's room set. */
  private readonly localRooms = new Map<string, { members: number; recorded: Promise<unknown> }>();

  constructor(
    private readonly cmd: Scripted,
    private readonly options: RedisPresenceOptions,
    private readonly log: Logger,
  ) {
    this.registry = nodeKeys(options.prefix);
  }

  async apply(room: string, changes: readonly PresenceChange[], policy: PresencePolicy): Promise<Applied> {
    // Recorded before the first local member's entry, so a reaper that finds this node dead knows where to look.
    const held = changes.filter((c) => c.join && c.member.node === this.options.node).map(() => this.hold(room));
    try {
      await Promise.all(held.map((h) => h.recorded));
      const [counts, users, version] = await this.run(
        room,
        policy,
        changes.map((c) => this.op(c)),
      );
      const changed = counts.map((n) => n > 0);
      // Each applied local change moves the count once: a join already present gives its hold back.
      changes.forEach((c, i) => {
        if (c.member.node !== this.options.node) return;
        if (c.join !== changed[i]) this.release(room);
      });
      return { changed, users, version };
    } catch (err) {
      for (let i = 0; i < held.length; i++) this.release(room);
      throw busError(err, this.log);
    }
  }

  /** Clears every member a node had in a room (the reaper's step), announcing as the room's policy asks. */
  async removeNode(room: string, node: string, policy: PresencePolicy): Promise<void> {
    await this.run(room, policy, ['n', `${node}:`, '', '', '-']);
  }

  private op({ join, member }: PresenceChange): string[] {
    return [join ? 'j' : 'l', `${member.node}:${member.conn}`, member.user, member.name, member.conn];
  }

  private async run(
    room: string,
    policy: PresencePolicy,
    ops: string[] | string[][],
  ): Promise<[counts: number[], users: number, version: number]> {
    const keys = roomKeys(this.options.prefix, room);
    return (await this.cmd['presence-apply'](
      5,
      keys.members,
      keys.users,
      keys.names,
      keys.order,
      keys.presenceVersion,
      policy.mode,
      policy.eachMax,
      policy.batchMax,
      keys.channel,
      this.options.sharded ? '1' : '0',
      JSON.stringify(room),
      ...ops.flat(),
    )) as [number[], number, number];
  }

  async list(room: string, after: string | undefined, limit: number): Promise<PresencePage> {
    const keys = roomKeys(this.options.prefix, room);
    try {
      const users = await this.cmd.zrangebylex(
        keys.order,
        after === undefined ? '-' : `(${after}`,
        '+',
        'LIMIT',
        0,
        limit + 1,
      );
      const page = users.slice(0, limit);
      if (page.length === 0) return { users: [] };
      const [counts, names] = await Promise.all([
        this.cmd.hmget(keys.users, ...page),
        this.cmd.hmget(keys.names, ...page),
      ]);
      const listed = page.flatMap((user, i) => {
        const connections = Number(counts[i] ?? 0);
        return connections > 0 ? [{ user, name: names[i] ?? user, connections }] : [];
      });
      return users.length > limit ? { users: listed, next: page[page.length - 1]! } : { users: listed };
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  async occupancy(room: string): Promise<Occupancy> {
    const keys = roomKeys(this.options.prefix, room);
    try {
      const [users, connections] = await Promise.all([this.cmd.hlen(keys.users), this.cmd.hlen(keys.members)]);
      return { users, connections };
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  /**
   * The node's room set lists exactly the rooms this node has members in: added before the first local
   * member's entry, removed after the last one's is gone. Both go to the registry's one slot on one
   * connection, so an add issued after a removal lands after it.
   */
  private hold(room: string): { members: number; recorded: Promise<unknown> } {
    let local = this.localRooms.get(room);
    if (!local) {
      local = { members: 0, recorded: this.cmd.sadd(this.registry.rooms(this.options.node), room) };
      local.recorded.catch(() => undefined); // awaited by each join; a failure surfaces there
      this.localRooms.set(room, local);
    }
    local.members++;
    return local;
  }

  private release(room: string): void {
    const local = this.localRooms.get(room);
    if (!local || --local.members > 0) return;
    this.localRooms.delete(room);
    this.cmd
      .srem(this.registry.rooms(this.options.node), room)
      .catch((err: unknown) => this.log.debug({ err, room }, 'room set removal failed; the reaper covers it'));
  }

  /** Clears a node's presence from every room it had members in, a batch of rooms at a time. */
  async reap(
    node: string,
    policyOf: (room: string) => PresencePolicy | undefined,
    renew: () => Promise<unknown> = async () => undefined,
  ): Promise<void> {
    const set = this.registry.rooms(node);
    let cursor = '0';
    do {
      const [next, rooms] = await this.cmd.sscan(set, cursor, 'COUNT', REAP_BATCH);
      cursor = next;
      await Promise.all(
        rooms.map((room) => {
          const policy = policyOf(room);
          return policy ? this.removeNode(room, node, policy) : undefined;
        }),
      );
      await renew();
    } while (cursor !== '0');
    await this.cmd.del(set);
  }
}
