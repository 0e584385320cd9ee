// Routes a parsed client frame to its handler; the table is checked against the frame union.
import type { ClientFrame, ClientFrameType } from '@chorus/protocol';
import type { Session } from '../session.js';
import { dm, received } from './dm.js';
import { presence } from './presence.js';
import { history, join, leave, send } from './rooms.js';
import { echo, ping } from './session.js';

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
  ping,
  echo,
};

/** `bodyJson` is the body as measured by the parser ('' for frames without one). */
export const dispatch = (session: Session, frame: ClientFrame, bodyJson = ''): void | Promise<void> =>
  (handlers[frame.type] as Handler<typeof frame.type>)(session, frame as never, bodyJson);
