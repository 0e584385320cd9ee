// signal: ephemeral frames to a user or a room — typing, call set-up (PROTOCOL.md §10.3). Never stored.
import { ProtocolError, type SignalFrame } from '@chorus/protocol';
import type { Session } from '../session.js';
import * as out from '../outbound.js';
import { authorize, requireMember } from './access.js';

export const signal = async (s: Session, frame: SignalFrame, bodyJson: string): Promise<void> => {
  const ts = Date.now();
  if (frame.to !== undefined) {
    const online = await s.node.bus.broker.signalUser(
      frame.to,
      out.signal(s.user, s.name, { to: frame.to }, bodyJson, ts),
    );
    return s.ack(frame.id, { online });
  }
  const room = frame.room!;
  authorize(s, room);
  const options = s.node.feeds.existingRoom(room)?.options ?? s.node.config.namespaces.of(room);
  if (!options.signals) throw new ProtocolError('forbidden', `signals are off in the namespace of room ${room}`);
  requireMember(s, room);
  await s.node.bus.broker.signalRoom(room, s.connId, out.signal(s.user, s.name, { room }, bodyJson, ts));
  s.ack(frame.id, { room });
};
