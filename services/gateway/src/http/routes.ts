// The HTTP side of a node: health, readiness, stats, the admin publish API and the test page.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nanoid } from 'nanoid';
import { z } from 'zod';
import { MAX_BODY_DEPTH, ProtocolError, isValidId, nestsDeeperThan, roomName, utf8Length } from '@chorus/protocol';
import type { GatewayNode } from '../node.js';
import * as out from '../outbound.js';
import type { HttpExchange, Transport } from '../transport/transport.js';

const JSON_TYPE = 'application/json';
const testPage = readFileSync(new URL('../../public/index.html', import.meta.url), 'utf8');
/** The SDK's browser bundle, which the test page imports; absent only when the client was not built. */
const sdkBundle = (() => {
  try {
    return readFileSync(fileURLToPath(import.meta.resolve('@chorus/client/browser')), 'utf8');
  } catch {
    return undefined;
  }
})();

const publishBody = z.object({
  room: roomName,
  body: z.custom<unknown>((v) => v !== undefined, 'is required'),
  from: z.string().refine(isValidId, 'must be a valid user id').optional(),
});

const bearerMatches = (header: string, token: string | undefined): boolean => {
  if (!token || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
};

const badRequest = (ex: HttpExchange, reason: string) => ex.respond(400, JSON.stringify({ error: reason }), JSON_TYPE);

const publish = (node: GatewayNode) => async (ex: HttpExchange) => {
  if (!bearerMatches(ex.header('authorization'), node.config.adminToken)) {
    const reason = node.config.adminToken ? 'missing or wrong admin token' : 'ADMIN_TOKEN is not configured';
    return ex.respond(401, JSON.stringify({ error: reason }), JSON_TYPE);
  }
  const text = await ex.readBody(node.config.limits.maxFrameBytes);
  if (text === undefined) return ex.respond(413, JSON.stringify({ error: 'request body too large' }), JSON_TYPE);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return badRequest(ex, 'body is not valid JSON');
  }
  const parsed = publishBody.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return badRequest(ex, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const { room, body, from } = parsed.data;
  if (nestsDeeperThan(body, MAX_BODY_DEPTH)) return badRequest(ex, `body: nests deeper than ${MAX_BODY_DEPTH} levels`);
  const bodyJson = JSON.stringify(body);
  if (utf8Length(bodyJson) > node.config.limits.maxBodyBytes) return badRequest(ex, 'body: exceeds maxBodyBytes');
  const sender = from ?? 'system';
  const msg = nanoid();
  const ts = Date.now();
  try {
    const { reply } = await node.bus.publishRoom({
      room,
      user: sender,
      key: undefined,
      msg,
      ts,
      tail: out.messageTail(room, msg, sender, sender, bodyJson, ts),
    });
    ex.respond(200, JSON.stringify({ seq: (reply as { seq: number }).seq, msg: reply.msg }), JSON_TYPE);
  } catch (err) {
    const code = err instanceof ProtocolError ? err.code : 'internal';
    ex.respond(code === 'unavailable' ? 503 : 500, JSON.stringify({ error: code }), JSON_TYPE);
  }
};

export const mountRoutes = (transport: Transport, node: GatewayNode): void => {
  transport.route('get', '/healthz', (ex) => ex.respond(200, 'ok\n'));
  transport.route('get', '/readyz', (ex) =>
    node.ready ? ex.respond(200, 'ready\n') : ex.respond(503, node.draining ? 'draining\n' : 'bus disconnected\n'),
  );
  transport.route('get', '/stats', (ex) => ex.respond(200, JSON.stringify(node.stats()), JSON_TYPE));
  transport.route('post', '/api/publish', publish(node));
  transport.route('get', '/', (ex) => ex.respond(200, testPage, 'text/html; charset=utf-8'));
  transport.route('get', '/sdk/chorus-client.js', (ex) =>
    sdkBundle
      ? ex.respond(200, sdkBundle, 'text/javascript; charset=utf-8')
      : ex.respond(503, 'the SDK bundle is not built: run pnpm build\n'),
  );
  transport.route('get', '/metrics', async (ex) =>
    ex.respond(200, await node.metrics.registry.metrics(), node.metrics.registry.contentType),
  );
  transport.route('any', '/*', (ex) => ex.respond(404, 'not found\n'));
};
