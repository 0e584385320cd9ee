// The server API on every node (PROTOCOL.md §7, §10.5): publish, dm, signal, disconnect, ban, and reads of rooms.
// Every body is validated by the protocol's schemas; every error is JSON {error, message}.
import { createHash, timingSafeEqual } from 'node:crypto';
import { nanoid } from 'nanoid';
import type { z } from 'zod';
import {
  CLOSE,
  HISTORY_LIMIT_DEFAULT,
  MAX_BODY_DEPTH,
  PRESENCE_LIMIT_MAX,
  ProtocolError,
  api,
  isValidId,
  nestsDeeperThan,
  utf8Length,
} from '@chorus/protocol';
import type { GatewayNode } from '../node.js';
import * as out from '../outbound.js';
import type { HttpExchange, Transport } from '../transport/transport.js';

const JSON_TYPE = 'application/json';

/** An API answer that is not a success: the status and the JSON the client gets. */
class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 500 | 503,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Equal-length digests compared in constant time: neither the token nor its length leaks by timing. */
const authorize = (node: GatewayNode, ex: HttpExchange): void => {
  const token = node.config.adminToken;
  if (!token) throw new ApiError(401, 'unauthorized', 'ADMIN_TOKEN is not configured: the API refuses everyone');
  const header = ex.header('authorization');
  if (!header.startsWith('Bearer ') || !timingSafeEqual(digest(header.slice(7)), digest(token))) {
    throw new ApiError(401, 'unauthorized', 'missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)');
  }
};

const issueText = (error: z.ZodError) => {
  const issue = error.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
};

/** The request body, parsed and validated by `schema`; a `body` field is held to the frames' limits too. */
const readJson = async <T>(node: GatewayNode, ex: HttpExchange, schema: z.ZodType<T>): Promise<T> => {
  const text = await ex.readBody(node.config.limits.maxFrameBytes);
  if (text === undefined) throw new ApiError(413, 'too_large', 'request body exceeds maxFrameBytes');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'bad_json', 'body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ApiError(400, 'bad_frame', issueText(parsed.error));
  return parsed.data;
};

const query = <T>(ex: HttpExchange, schema: z.ZodType<T>): T => {
  const parsed = schema.safeParse(Object.fromEntries(ex.query));
  if (!parsed.success) throw new ApiError(400, 'bad_frame', issueText(parsed.error));
  return parsed.data;
};

/** A message body as JSON text, within the protocol's depth and size limits. */
const bodyJsonOf = (node: GatewayNode, body: unknown): string => {
  if (nestsDeeperThan(body, MAX_BODY_DEPTH)) {
    throw new ApiError(400, 'bad_frame', `body: nests deeper than ${MAX_BODY_DEPTH} levels`);
  }
  const json = JSON.stringify(body);
  if (utf8Length(json) > node.config.limits.maxBodyBytes) {
    throw new ApiError(400, 'too_large', `body: exceeds maxBodyBytes (${node.config.limits.maxBodyBytes})`);
  }
  return json;
};

const roomParam = (segment: string | undefined): string => {
  let room = '';
  try {
    room = decodeURIComponent(segment ?? '');
  } catch {
    // fall through: not a room name
  }
  if (!isValidId(room)) throw new ApiError(400, 'bad_frame', 'room: must match ^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$');
  return room;
};

const presenceMode = (node: GatewayNode, room: string) => {
  const mode = node.config.namespaces.of(room).presence;
  if (mode === 'off') throw new ApiError(400, 'forbidden', `presence is off in the namespace of room ${room}`);
  return mode;
};

type Handler = (node: GatewayNode, ex: HttpExchange, path: string[]) => Promise<unknown>;

const publish: Handler = async (node, ex) => {
  const { room, body, from, key } = await readJson(node, ex, api.publishRequest);
  const sender = from ?? 'system';
  const msg = nanoid();
  const ts = Date.now();
  const tail = out.messageTail(room, msg, sender, sender, bodyJsonOf(node, body), ts);
  const { reply } = await node.bus.messages.publishRoom({ room, user: sender, key, msg, ts, tail });
  return { seq: (reply as { seq: number }).seq, msg: reply.msg };
};

const dm: Handler = async (node, ex) => {
  const { to, body, from, key } = await readJson(node, ex, api.dmRequest);
  const sender = from ?? 'server';
  const msg = nanoid();
  const ts = Date.now();
  const tail = out.dmTail(msg, sender, sender, to, bodyJsonOf(node, body), ts);
  const { reply } = await node.bus.messages.sendDm({ from: sender, to, key, msg, ts, tail });
  return { msg: reply.msg, online: (reply as { online: boolean }).online };
};

const signal: Handler = async (node, ex) => {
  const request = await readJson(node, ex, api.signalRequest);
  const bodyJson = bodyJsonOf(node, request.body);
  const ts = Date.now();
  if (request.to !== undefined) {
    return {
      online: await node.bus.broker.signalUser(
        request.to,
        out.signal('server', 'server', { to: request.to }, bodyJson, ts),
      ),
    };
  }
  const room = request.room!;
  if (!node.config.namespaces.of(room).signals) {
    throw new ApiError(400, 'forbidden', `signals are off in the namespace of room ${room}`);
  }
  await node.bus.broker.signalRoom(room, '-', out.signal('server', 'server', { room }, bodyJson, ts));
  return { room };
};

const disconnect: Handler = async (node, ex) => {
  const { user, reason } = await readJson(node, ex, api.disconnectRequest);
  return { closed: await node.bus.broker.kick(user, CLOSE.disconnected, reason ?? 'disconnected by the server') };
};

const ban: Handler = async (node, ex) => {
  const { user, seconds, reason } = await readJson(node, ex, api.banRequest);
  const until = Date.now() + seconds * 1000;
  await node.bus.bans.ban(user, until);
  return { closed: await node.bus.broker.kick(user, CLOSE.banned, reason ?? 'banned'), until };
};

const unban: Handler = async (node, _ex, path) => {
  const user = roomParam(path[2]); // user ids share the room-name grammar
  if ((await node.bus.bans.bannedUntil(user)) === undefined)
    throw new ApiError(404, 'not_found', `${user} is not banned`);
  await node.bus.bans.ban(user, 0);
  return { user, banned: false };
};

/** Whether a user is connected (on how many nodes) and banned: the admin view's user lookup. */
const userInfo: Handler = async (node, _ex, path) => {
  const user = roomParam(path[2]);
  const [nodes, bannedUntil] = await Promise.all([node.bus.broker.userNodes(user), node.bus.bans.bannedUntil(user)]);
  return { user, online: nodes > 0, nodes, bannedUntil: bannedUntil ?? null };
};

const roomRead: Handler = async (node, ex, path) => {
  const room = roomParam(path[2]);
  switch (path[3]) {
    case 'presence': {
      const { limit, after } = query(ex, api.presenceQuery);
      if (presenceMode(node, room) === 'count') {
        const { users } = await node.bus.presence.occupancy(room);
        return { type: 'presence', room, users: [], count: users };
      }
      const page = await node.bus.presence.list(room, after, limit ?? PRESENCE_LIMIT_MAX);
      return { type: 'presence', room, ...page };
    }
    case 'occupancy':
      presenceMode(node, room);
      return node.bus.presence.occupancy(room);
    case 'history': {
      const { before, limit } = query(ex, api.historyQuery);
      const page = await node.bus.messages.roomHistory(room, before, limit ?? HISTORY_LIMIT_DEFAULT);
      return JSON.parse(
        out.history(
          undefined,
          room,
          page.epoch,
          page.messages.map((m) => m.frame),
        ),
      ) as unknown;
    }
    default:
      throw new ApiError(404, 'not_found', 'no such route: /api/rooms/<room>/{presence,occupancy,history}');
  }
};

/** The rooms with the most connections across the cluster (from the nodes' heartbeats), with exact counts. */
const rooms: Handler = async (node, ex) => {
  const { limit = 50 } = query(ex, api.roomsQuery);
  const biggest = await node.bus.registry.topRooms(limit);
  const counted = await Promise.all(
    biggest.map(async ({ room, connections }) =>
      node.config.namespaces.of(room).presence === 'off'
        ? { room, users: 0, connections }
        : { room, ...(await node.bus.presence.occupancy(room)) },
    ),
  );
  return counted.sort((a, b) => b.connections - a.connections || b.users - a.users);
};

const ROUTES: Array<[method: string, match: (path: string[]) => boolean, handler: Handler]> = [
  ['POST', (p) => p.length === 2 && p[1] === 'publish', publish],
  ['POST', (p) => p.length === 2 && p[1] === 'dm', dm],
  ['POST', (p) => p.length === 2 && p[1] === 'signal', signal],
  ['POST', (p) => p.length === 2 && p[1] === 'disconnect', disconnect],
  ['POST', (p) => p.length === 2 && p[1] === 'ban', ban],
  ['DELETE', (p) => p.length === 3 && p[1] === 'ban', unban],
  ['GET', (p) => p.length === 2 && p[1] === 'rooms', rooms],
  ['GET', (p) => p.length === 3 && p[1] === 'users', userInfo],
  ['GET', (p) => p.length === 4 && p[1] === 'rooms', roomRead],
];

const send = (ex: HttpExchange, status: number, value: unknown) => ex.respond(status, JSON.stringify(value), JSON_TYPE);

const serve = async (node: GatewayNode, ex: HttpExchange): Promise<void> => {
  const path = ex.url.split('/').filter(Boolean);
  try {
    const route = ROUTES.find(([method, match]) => match(path) && method === ex.method);
    if (!route) {
      const known = ROUTES.some(([, match]) => match(path));
      throw new ApiError(known ? 400 : 404, known ? 'bad_method' : 'not_found', `no route ${ex.method} ${ex.url}`);
    }
    authorize(node, ex);
    send(ex, 200, await route[2](node, ex, path));
  } catch (err) {
    if (err instanceof ApiError) return send(ex, err.status, { error: err.error, message: err.message });
    if (err instanceof ProtocolError) {
      const status = err.code === 'unavailable' ? 503 : err.code === 'internal' ? 500 : 400;
      return send(ex, status, { error: err.code, message: err.message });
    }
    node.log.error({ err, url: ex.url }, 'server API failed');
    send(ex, 500, { error: 'internal', message: 'internal error' });
  }
};

export const mountApi = (transport: Transport, node: GatewayNode): void => {
  transport.route('any', '/api/*', (ex) => serve(node, ex));
};
