// Checks shared by the handlers: room permission, membership, and bus-call failure mapping.
import { ProtocolError } from '@chorus/protocol';
import type { Caller } from './context.js';

export const authorize = (session: Caller, room: string): void => {
  if (session.identity.rooms && !session.identity.rooms.allows(room)) {
    throw new ProtocolError('forbidden', `room ${room} is not allowed for this user`);
  }
};

export const requireMember = (session: Caller, room: string): void => {
  if (session.rooms.get(room) !== 'joined') throw new ProtocolError('not_member', `not a member of room ${room}`);
};
