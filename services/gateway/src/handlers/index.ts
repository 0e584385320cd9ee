// Routes a parsed client frame to its handler; the table is checked against the frame union.
import type { ClientFrame, ClientFrameType } from '@chorus/protocol';
import type { Session } from '../session.js';
import { dm, received, startDm } from './dm.js';
import { occupancy, presence } from './presence.js';
import { history, join, leave, send, startSend } from './rooms.js';
import { echo, ping, refresh } from './connection.js';
import { signal } from './signals.js';

type Handler<K extends ClientFrameType> = (
  session: Session,
  frame: Extract<ClientFrame, { type: K }>,
  bodyJson: string,
) => void | Promise<void>;

const handlers: { [K in ClientFrameType]: Handler<K> } = {
  join,
  leave,
  send,
  history,
  dm,
  received,
  presence,
  occupancy,
  signal,
  refresh,
  ping,
  echo,
};

/** `bodyJson` is the body as measured by the parser ('' for frames without one). */
export const dispatch = (session: Session, frame: ClientFrame, bodyJson = ''): void | Promise<void> =>
  (handlers[frame.type] as Handler<typeof frame.type>)(session, frame as never, bodyJson);

/**
 * The hot path: a send or dm without an idempotency key is checked and issued to the bus at once, and its
 * reply promised, so a connection's next frame need not wait for the round trip. Keyed ones are not
 * pipelined: their claim must settle before the operation may be issued. Returns undefined for frames that
 * take the ordinary path.
 */
export const pipeline = (session: Session, frame: ClientFrame, bodyJson = ''): Promise<object> | undefined => {
  if (frame.type === 'send' && frame.key === undefined) return startSend(session, frame, bodyJson);
  if (frame.type === 'dm' && frame.key === undefined) return startDm(session, frame, bodyJson);
  return undefined;
};
