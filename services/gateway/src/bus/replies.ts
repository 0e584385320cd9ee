// What a send or dm answers; stored with its idempotency key, so a repeat answers the same.

export interface SendReply {
  room: string;
  seq: number;
  msg: string;
}
export interface DmReply {
  msg: string;
  online: boolean;
}
/**
 * The first reply given for an idempotency key. A repeat gets the first reply back, whatever
 * its own kind: a dm retried with a room send's key answers with that send's ack.
 */
export type Reply = SendReply | DmReply;
