// Presence in process memory: the same rules and events as presence-apply.lua, shared by every node of a hub.
import * as out from '../../outbound.js';
import { encode } from '../channel-messages.js';
import type { Channels } from './channels.js';
import type {
  Applied,
  Member,
  Occupancy,
  PresenceChange,
  PresenceDiff,
  PresencePage,
  PresencePolicy,
  PresenceStore,
} from '../presence.js';

interface RoomPresence {
  members: Map<string, Member>;
  users: Map<string, { name: string; connections: number }>;
}

export class MemoryPresence implements PresenceStore {
  private readonly rooms = new Map<string, RoomPresence>();
  private version = 0;

  constructor(private readonly channels: Channels) {}

  async apply(room: string, changes: readonly PresenceChange[], policy: PresencePolicy): Promise<Applied> {
    const version = ++this.version;
    const state = this.rooms.get(room) ?? { members: new Map<string, Member>(), users: new Map() };
    this.rooms.set(room, state);
    const diff: PresenceDiff = { joined: [], left: [] };
    const net = new Map<string, { joined?: string; left?: boolean }>();
    const origins = new Set<string>();
    let counted = false;
    const perUser = () => policy.mode === 'each' && state.users.size <= policy.eachMax;
    const diffed = () => policy.mode === 'batched' && state.users.size <= policy.batchMax;
    const announce = (user: string, name: string | undefined, origin: string) => {
      if (perUser()) {
        const frame = name === undefined ? out.userLeft(room, user) : out.userJoined(room, user, name);
        this.channels.publish('r', room, encode.roomEvent(origin, { users: state.users.size, version }, frame));
      } else if (diffed()) {
        const entry = net.get(user) ?? {};
        if (name !== undefined) {
          if (entry.left) delete entry.left;
          else entry.joined = name;
        } else if (entry.joined !== undefined) delete entry.joined;
        else entry.left = true;
        net.set(user, entry);
        origins.add(origin);
      }
    };
    const results = changes.map(({ join, member }) => {
      const key = `${member.node}:${member.conn}`;
      let changed = false;
      if (join && !state.members.has(key)) {
        state.members.set(key, member);
        const user = state.users.get(member.user);
        if (user) user.connections++;
        else {
          state.users.set(member.user, { name: member.name, connections: 1 });
          announce(member.user, member.name, member.conn);
        }
        changed = true;
      } else if (!join && state.members.delete(key)) {
        const user = state.users.get(member.user)!;
        if (--user.connections === 0) {
          state.users.delete(member.user);
          announce(member.user, undefined, member.conn);
        }
        changed = true;
      }
      if (changed && !perUser() && !diffed()) counted = true;
      return changed;
    });
    for (const [user, entry] of net) {
      if (entry.joined !== undefined) diff.joined.push({ user, name: entry.joined });
      else if (entry.left) diff.left.push(user);
    }
    if (diff.joined.length + diff.left.length > 0)
      this.channels.publish('r', room, encode.presenceDiff([...origins], diff));
    if (counted) this.channels.publish('r', room, encode.occupancy(state.users.size, state.members.size, version));
    if (state.members.size === 0) this.rooms.delete(room);
    return { changed: results, users: state.users.size, version };
  }

  async list(room: string, after: string | undefined, limit: number): Promise<PresencePage> {
    const users = [...(this.rooms.get(room)?.users ?? new Map<string, { name: string; connections: number }>())]
      .filter(([user]) => after === undefined || user > after)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const page = users.slice(0, limit).map(([user, { name, connections }]) => ({ user, name, connections }));
    return users.length > limit ? { users: page, next: page[page.length - 1]!.user } : { users: page };
  }

  async occupancy(room: string): Promise<Occupancy> {
    const state = this.rooms.get(room);
    return { users: state?.users.size ?? 0, connections: state?.members.size ?? 0 };
  }
}
