// Server frames serialized once, by string assembly where it is the hot path.
import type { Limits, PresenceUser } from '@chorus/protocol';

const q = JSON.stringify;

/** A room message is `MESSAGE_HEAD + seq + tail`: the bus assigns seq, the accepting node writes the rest once. */
export const MESSAGE_HEAD = '{"type":"message","seq":';
export const DM_HEAD = '{"type":"dm","seq":';

export const messageTail = (room: string, msg: string, from: string, name: string, bodyJson: string, ts: number) =>
  `,"room":${q(room)},"msg":"${msg}","from":${q(from)},"name":${q(name)},"body":${bodyJson},"ts":${ts}}`;

export const dmTail = (msg: string, from: string, name: string, to: string, bodyJson: string, ts: number) =>
  `,"msg":"${msg}","from":${q(from)},"name":${q(name)},"to":${q(to)},"body":${bodyJson},"ts":${ts}}`;

export const sequenced = (head: string, seq: number, tail: string) => head + seq + tail;

const withId = (id: string | undefined) => (id === undefined ? '' : `,"id":${q(id)}`);

export const ack = (id: string | undefined, fields: object) => `{"type":"ack"${withId(id)}${fieldsOf(fields)}}`;

const fieldsOf = (fields: object) => {
  const json = q(fields);
  return json.length > 2 ? `,${json.slice(1, -1)}` : '';
};

export const error = (id: string | undefined, code: string, message: string) =>
  `{"type":"error"${withId(id)},"code":${q(code)},"message":${q(message)}}`;

export const welcome = (conn: string, user: string, name: string, node: string, heartbeatMs: number, limits: Limits) =>
  q({ type: 'welcome', conn, user, name, node, heartbeatMs, limits });

export const pong = (id: string | undefined) => `{"type":"pong"${withId(id)},"ts":${Date.now()}}`;

export const echo = (id: string | undefined, bodyJson: string) => `{"type":"echo"${withId(id)},"body":${bodyJson}}`;

export const history = (id: string | undefined, room: string, epoch: string, frames: readonly string[]) =>
  `{"type":"history"${withId(id)},"room":${q(room)},"epoch":${q(epoch)},"messages":[${frames.join(',')}]}`;

export const presence = (
  id: string | undefined,
  room: string,
  users: readonly PresenceUser[],
  page: { next?: string; count?: number } = {},
) =>
  `{"type":"presence"${withId(id)},"room":${q(room)},"users":${q(users)}${
    page.count === undefined ? '' : `,"count":${page.count}`
  }${page.next === undefined ? '' : `,"next":${q(page.next)}`}}`;

export const occupancy = (id: string | undefined, room: string, counts: { users: number; connections: number }) =>
  `{"type":"occupancy"${withId(id)},"room":${q(room)},"users":${counts.users},"connections":${counts.connections}}`;

export const presenceDiff = (
  room: string,
  joined: ReadonlyArray<{ user: string; name: string }>,
  left: readonly string[],
) => q({ type: 'presence_diff', room, joined, left });

export const userJoined = (room: string, user: string, name: string) => q({ type: 'user_joined', room, user, name });
export const userLeft = (room: string, user: string) => q({ type: 'user_left', room, user });

export const signal = (
  from: string,
  name: string,
  target: { to: string } | { room: string },
  bodyJson: string,
  ts: number,
) =>
  `{"type":"signal","from":${q(from)},"name":${q(name)},${
    'to' in target ? `"to":${q(target.to)}` : `"room":${q(target.room)}`
  },"body":${bodyJson},"ts":${ts}}`;

export const reconnect = () => '{"type":"reconnect","reason":"draining"}';
