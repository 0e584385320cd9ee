// The broker seam: which rooms and users this node listens to, and what is published that is never stored
// (signals, kicks, probes). What is stored (room messages, dms, presence) is published by the store that
// stores it, in the same step; every kind travels in the encoding of channel-messages.ts.

/** How long `kick` waits for the nodes that had the user to say how many they closed. */
export const KICK_WAIT_MS = 2_000;

export interface Broker {
  subscribeRoom(room: string): Promise<void>;
  unsubscribeRoom(room: string): Promise<void>;
  subscribeUser(user: string): Promise<void>;
  unsubscribeUser(user: string): Promise<void>;

  /** A signal (§10.3), never stored: resolves whether any node had a connection of `to`. */
  signalUser(to: string, frame: string): Promise<boolean>;
  /** A signal to a room's members on every node, except the connection `originConn`. */
  signalRoom(room: string, originConn: string, frame: string): Promise<void>;
  /** Closes every connection of `user` on every node; resolves how many closed (best effort within 2 s). */
  kick(user: string, code: number, reason: string): Promise<number>;
  /** How many nodes hold a connection of `user` now (its channel's subscribers). */
  userNodes(user: string): Promise<number>;
}
