// The bans seam (§10.5): until when a user may not connect, shared by every node.

export interface Bans {
  /** Until when (ms since the epoch) `user` is banned; an `until` not in the future lifts the ban. */
  ban(user: string, until: number): Promise<void>;
  /** Until when `user` is banned, or undefined when not (an expired ban is no ban). */
  bannedUntil(user: string): Promise<number | undefined>;
}
