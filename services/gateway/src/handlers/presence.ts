// presence and occupancy: who is in a room, and how many, cluster-wide (PROTOCOL.md §5, §10.2).
import { PRESENCE_LIMIT_MAX, ProtocolError, type OccupancyFrame, type PresenceFrame } from '@chorus/protocol';
import type { Session } from '../session.js';
import * as out from '../outbound.js';
import { authorize } from './access.js';

/** The room's presence mode, refusing rooms whose namespace keeps none. */
const modeOf = (s: Session, room: string) => {
  authorize(s, room);
  const { presence } = s.node.config.namespaces.of(room);
  if (presence === 'off') throw new ProtocolError('forbidden', `presence is off in the namespace of room ${room}`);
  return presence;
};

export const presence = async (s: Session, frame: PresenceFrame): Promise<void> => {
  const { room } = frame;
  if (modeOf(s, room) === 'count') {
    const { users } = await s.node.bus.presence.occupancy(room);
    return s.send(out.presence(frame.id, room, [], { count: users }));
  }
  const page = await s.node.bus.presence.list(room, frame.after, frame.limit ?? PRESENCE_LIMIT_MAX);
  s.send(out.presence(frame.id, room, page.users, page));
};

export const occupancy = async (s: Session, frame: OccupancyFrame): Promise<void> => {
  modeOf(s, frame.room);
  s.send(out.occupancy(frame.id, frame.room, await s.node.bus.presence.occupancy(frame.room)));
};
