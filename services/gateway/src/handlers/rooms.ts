// join, leave, send, history: the room family (PROTOCOL.md §2, §3).
import { nanoid } from 'nanoid';
import {
  HISTORY_LIMIT_DEFAULT,
  ProtocolError,
  READ_BYTES_PER_TOKEN,
  type HistoryFrame,
  type JoinFrame,
  type LeaveFrame,
  type SendFrame,
} from '@chorus/protocol';
import type { Caller, Services } from './context.js';
import * as out from '../outbound.js';
import { authorize, requireMember } from './access.js';

/** Tokens beyond the frame's own for returning `bytes` of stored messages. */
const readCost = (bytes: number) => Math.floor(bytes / READ_BYTES_PER_TOKEN);

export const join = async (s: Caller, node: Services, frame: JoinFrame): Promise<void> => {
  const { room } = frame;
  authorize(s, room);
  const previously = s.rooms.get(room);
  const request = { since: frame.since, epoch: frame.epoch };
  if (previously === 'joined') {
    // Already receiving the room live: answered at the room's latest seq, replaying nothing (§3, §10.8).
    const rejoined = await node.feeds.existingRoom(room)?.rejoin(s, request);
    if (rejoined) return s.ack(frame.id, rejoined);
  }
  if (previously === undefined && s.rooms.size >= node.limits.maxRooms) {
    throw new ProtocolError('too_many_rooms', `already in ${s.rooms.size} rooms (maxRooms)`);
  }
  s.rooms.set(room, 'joining');
  const presence = node.presenceWriter.join(room, s.member);
  presence.catch(() => undefined); // awaited by the feed; a failure surfaces there
  try {
    const replayedBytes = await node.feeds.room(room).join(s, request, presence, (result) => s.ack(frame.id, result));
    s.rooms.set(room, 'joined');
    s.charge(readCost(replayedBytes));
  } catch (err) {
    s.leaveRoom(room).catch(() => undefined); // retried by the writer
    throw err;
  }
};

export const leave = async (s: Caller, node: Services, frame: LeaveFrame): Promise<void> => {
  const { room } = frame;
  requireMember(s, room); // leaving a joined room is always allowed, whatever the token says now
  await s.leaveRoom(room);
  s.ack(frame.id, { room });
};

/** Checks and issues a send; the returned promise is its reply. Throws synchronously on a failed check. */
export const startSend = (s: Caller, node: Services, frame: SendFrame, bodyJson: string): Promise<object> => {
  const { room } = frame;
  try {
    authorize(s, room);
    // An announcement channel: only the server API publishes (§10.1). A member's room has its options at hand.
    const options = node.feeds.existingRoom(room)?.options ?? node.namespaces.of(room);
    if (options.publish === 'server') {
      throw new ProtocolError('forbidden', `only the server publishes in the namespace of room ${room}`);
    }
    requireMember(s, room);
  } catch (err) {
    return Promise.reject(err);
  }
  const msg = nanoid();
  const ts = Date.now();
  const tail = out.messageTail(room, msg, s.user, s.name, bodyJson, ts);
  return node.messages.publishRoom({ room, user: s.user, key: frame.key, msg, ts, tail }).then((o) => o.reply);
};

export const send = async (s: Caller, node: Services, frame: SendFrame, bodyJson: string): Promise<void> => {
  s.ack(frame.id, await startSend(s, node, frame, bodyJson));
};

export const history = async (s: Caller, node: Services, frame: HistoryFrame): Promise<void> => {
  authorize(s, frame.room);
  const page = await node.messages.roomHistory(frame.room, frame.before, frame.limit ?? HISTORY_LIMIT_DEFAULT);
  s.charge(readCost(page.messages.reduce((bytes, m) => bytes + m.frame.length, 0)));
  s.send(
    out.history(
      frame.id,
      frame.room,
      page.epoch,
      page.messages.map((m) => m.frame),
    ),
  );
};
