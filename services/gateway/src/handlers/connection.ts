// ping, echo and refresh: liveness, round trips, and new credentials without reconnecting (§10.4).
import { ProtocolError, type EchoFrame, type PingFrame, type RefreshFrame } from '@chorus/protocol';
import type { Caller, Services } from './context.js';
import * as out from '../outbound.js';

export const ping = (s: Caller, node: Services, frame: PingFrame): void => s.send(out.pong(frame.id));

export const echo = (s: Caller, node: Services, frame: EchoFrame, bodyJson: string): void =>
  s.send(out.echo(frame.id, bodyJson));

/**
 * A new token for the same user replaces the connection's credentials: the 4001 timer moves to its `exp`, and
 * rooms its `rooms` claim no longer allows are left, each with a `forbidden` error naming it. Anything else is
 * `unauthorized` and changes nothing.
 */
export const refresh = async (s: Caller, node: Services, frame: RefreshFrame): Promise<void> => {
  if (node.authMode !== 'jwt') throw new ProtocolError('unauthorized', 'refresh needs AUTH_MODE=jwt');
  const auth = await node.authenticate(new URLSearchParams({ token: frame.token }));
  if ('reason' in auth) throw new ProtocolError('unauthorized', auth.reason);
  if (auth.identity.user !== s.user) throw new ProtocolError('unauthorized', 'the token is for another user');
  for (const room of s.renew(auth.identity)) {
    s.fail(undefined, 'forbidden', `room ${room} is not allowed by the new token: left`);
  }
  s.ack(frame.id, { expiresAt: auth.identity.expiresAt });
};
