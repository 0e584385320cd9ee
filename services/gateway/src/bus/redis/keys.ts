// Redis key and channel names. Hash tags keep everything about one room (or one user) in one cluster slot.

/**
 * One user's idempotency key as one key part. Both may contain `:`, so the user id is length-prefixed:
 * user `a` with key `b:c` and user `a:b` with key `c` must never meet (§10.8).
 */
const requester = (user: string, key: string) => `${user.length}:${user}:${key}`;

export const roomKeys = (prefix: string, room: string) => {
  const tag = `${prefix}:{r:${room}}`;
  return {
    channel: tag,
    meta: `${tag}:meta`,
    log: `${tag}:log`,
    /** Presence: <node>:<conn> → user \t name; user → connections; user → name; users in id order. */
    members: `${tag}:members`,
    users: `${tag}:users`,
    names: `${tag}:names`,
    order: `${tag}:order`,
    /** Presence batches applied so far: orders the counts they announce. */
    presenceVersion: `${tag}:pver`,
    idem: (user: string, key: string) => `${tag}:idem:${requester(user, key)}`,
  };
};

export const userKeys = (prefix: string, user: string) => {
  const tag = `${prefix}:{u:${user}}`;
  return {
    channel: tag,
    inbox: `${tag}:inbox`,
    log: `${tag}:log`,
    /** This user's own idempotency claims: key → the target the first request went to. */
    claim: (key: string) => `${tag}:claim:${key}`,
    /** Replies to dms sent to this user, per sender and key. */
    idem: (from: string, key: string) => `${tag}:idem:${requester(from, key)}`,
    /** Set while the user is banned (§10.5): the value is until when, the key expires then. */
    ban: `${tag}:ban`,
  };
};

/** `prefix:{r:lobby}` → ['r', 'lobby']. */
export const parseChannel = (prefix: string, channel: string): [kind: string, name: string] => [
  channel.charAt(prefix.length + 2),
  channel.slice(prefix.length + 4, -1),
];

/** One `kick`'s answers: how many connections the nodes closed, and how many nodes answered. */
export const kickKeys = (prefix: string, id: string) => {
  const tag = `${prefix}:{kick:${id}}`;
  return { closed: `${tag}:closed`, nodes: `${tag}:nodes` };
};
