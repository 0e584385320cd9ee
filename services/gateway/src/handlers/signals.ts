// signal: ephemeral frames to a user or a room — typing, call set-up (PROTOCOL.md §10.3). Never stored.
import { ProtocolError, type SignalFrame } from '@chorus/protocol';
import type { Caller, Services } from './context.js';
import * as out from '../outbound.js';
import { authorize, requireMember } from './access.js';

export const signal = async (s: Caller, node: Services, frame: SignalFrame, bodyJson: string): Promise<void> => {
  const ts = Date.now();
  if (frame.to !== undefined) {
    const online = await node.broker.signalUser(frame.to, out.signal(s.user, s.name, { to: frame.to }, bodyJson, ts));
    return s.ack(frame.id, { online });
  }
  const room = frame.room!;
  authorize(s, room);
  const options = node.feeds.existingRoom(room)?.options ?? node.namespaces.of(room);
  if (!options.signals) throw new ProtocolError('forbidden', `signals are off in the namespace of room ${room}`);
  requireMember(s, room);
  await node.broker.signalRoom(room, s.connId, out.signal(s.user, s.name, { room }, bodyJson, ts));
  s.ack(frame.id, { room });
};
