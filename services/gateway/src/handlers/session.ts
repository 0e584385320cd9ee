// ping and echo: liveness and round-trip checks that touch no shared state.
import type { EchoFrame, PingFrame } from '@chorus/protocol';
import type { Session } from '../session.js';
import * as out from '../outbound.js';

export const ping = (s: Session, frame: PingFrame): void => s.send(out.pong(frame.id));

export const echo = (s: Session, frame: EchoFrame, bodyJson: string): void => s.send(out.echo(frame.id, bodyJson));
