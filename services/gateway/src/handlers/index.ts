// Routes a parsed client frame to its handler; the table is checked against the frame union.
import type { ClientFrame, ClientFrameType } from '@chorus/protocol';
import type { Caller, Services } from './context.js';
import { dm, received, startDm } from './dm.js';
import { occupancy, presence } from './presence.js';
import { history, join, leave, send, startSend } from './rooms.js';
import { echo, ping, refresh } from './connection.js';
import { signal } from './signals.js';

type Handler<K extends ClientFrameType> = (
  caller: Caller,
  services: Services,
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
export const dispatch = (caller: Caller, services: Services, frame: ClientFrame, bodyJson = ''): void | Promise<void> =>
  (handlers[frame.type] as Handler<typeof frame.type>)(caller, services, frame as never, bodyJson);

/**
 * The hot path: a send or dm without an idempotency key is checked and issued to the bus at once, and its
 * reply promised, so a connection's next frame need not wait for the round trip. Keyed ones are not
 * pipelined: their claim must settle before the operation may be issued. Returns undefined for frames that
 * take the ordinary path.
 */
export const pipeline = (
  caller: Caller,
  services: Services,
  frame: ClientFrame,
  bodyJson = '',
): Promise<object> | undefined => {
  if (frame.type === 'send' && frame.key === undefined) return startSend(caller, services, frame, bodyJson);
  if (frame.type === 'dm' && frame.key === undefined) return startDm(caller, services, frame, bodyJson);
  return undefined;
};
