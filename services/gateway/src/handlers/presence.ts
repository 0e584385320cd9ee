// presence and occupancy: who is in a room, and how many, cluster-wide (PROTOCOL.md §5, §10.2).
import { PRESENCE_LIMIT_MAX, ProtocolError, type OccupancyFrame, type PresenceFrame } from '@chorus/protocol';
import type { Caller, Services } from './context.js';
import * as out from '../outbound.js';
import { authorize } from './access.js';

/** The room's presence mode, refusing rooms whose namespace keeps none. */
const modeOf = (s: Caller, node: Services, room: string) => {
  authorize(s, room);
  const { presence } = node.namespaces.of(room);
  if (presence === 'off') throw new ProtocolError('forbidden', `presence is off in the namespace of room ${room}`);
  return presence;
};

export const presence = async (s: Caller, node: Services, frame: PresenceFrame): Promise<void> => {
  const { room } = frame;
  if (modeOf(s, node, room) === 'count') {
    const { users } = await node.presence.occupancy(room);
    return s.send(out.presence(frame.id, room, [], { count: users }));
  }
  const page = await node.presence.list(room, frame.after, frame.limit ?? PRESENCE_LIMIT_MAX);
  s.send(out.presence(frame.id, room, page.users, page));
};

export const occupancy = async (s: Caller, node: Services, frame: OccupancyFrame): Promise<void> => {
  modeOf(s, node, frame.room);
  s.send(out.occupancy(frame.id, frame.room, await node.presence.occupancy(frame.room)));
};
