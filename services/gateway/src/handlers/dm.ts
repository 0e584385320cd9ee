// dm and received: direct messages and the offline inbox (PROTOCOL.md §4).
import { nanoid } from 'nanoid';
import { ProtocolError, type DmFrame, type ReceivedFrame } from '@chorus/protocol';
import type { Caller, Services } from './context.js';
import * as out from '../outbound.js';

/** Issues a dm; the returned promise is its reply. */
export const startDm = (s: Caller, node: Services, frame: DmFrame, bodyJson: string): Promise<object> => {
  // What one sender may store in other users' inboxes is bounded per node (§10.8).
  if (!node.dmBytes.take(s.user, Date.now(), Buffer.byteLength(bodyJson))) {
    return Promise.reject(new ProtocolError('rate_limited', 'dm budget spent (DM_BYTES_PER_MIN); retry later'));
  }
  const msg = nanoid();
  const ts = Date.now();
  const tail = out.dmTail(msg, s.user, s.name, frame.to, bodyJson, ts);
  return node.messages.sendDm({ from: s.user, to: frame.to, key: frame.key, msg, ts, tail }).then((o) => o.reply);
};

export const dm = async (s: Caller, node: Services, frame: DmFrame, bodyJson: string): Promise<void> => {
  s.ack(frame.id, await startDm(s, node, frame, bodyJson));
};

/** Confirms the sender's own inbox only: the user comes from the connection, never the frame. */
export const received = async (s: Caller, node: Services, frame: ReceivedFrame): Promise<void> => {
  const upTo = await node.messages.confirm(s.user, frame.upTo);
  s.ack(frame.id, { upTo });
};
