// presence: who is in a room, cluster-wide (PROTOCOL.md §5).
import type { PresenceFrame } from '@chorus/protocol';
import type { Session } from '../session.js';
import * as out from '../outbound.js';
import { authorize } from './access.js';

export const presence = async (s: Session, frame: PresenceFrame): Promise<void> => {
  authorize(s, frame.room);
  s.send(out.presence(frame.id, frame.room, await s.node.bus.presence(frame.room)));
};
