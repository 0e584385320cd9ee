// The dashboard's HTTP side: the page (public, no data), GET /api/cluster (JSON) and /api/stream (server-sent
// events), both behind the token when one is set, and /api/admin/* forwarded to a gateway's server API.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ClusterSnapshot } from './cluster-view.js';

const page = readFileSync(new URL('../public/index.html', import.meta.url), 'utf8');

/** Open event streams at most; past it /api/stream answers 503 (each costs a socket and a write per poll). */
export const MAX_STREAMS = 1_000;
/** A stream whose reader lets this much pile up is ended: an ops page is not worth unbounded memory. */
const MAX_STREAM_BACKLOG = 1 << 20;

/** The path of a request target, or undefined when it is not a URL at all (any bytes can arrive here). */
const pathOf = (target: string | undefined): string | undefined => {
  try {
    return new URL(target ?? '/', 'http://dashboard').pathname;
  } catch {
    return undefined;
  }
};

export interface AccessOptions {
  /** Bearer token the API asks for; undefined only on a loopback address (config.ts enforces it). */
  token: string | undefined;
  maxStreamsPerAddress: number;
  /** A gateway (or the load balancer in front of them) whose server API the admin actions use. */
  gatewayUrl?: string | undefined;
}

/** What the admin view may ask a gateway: the biggest rooms, a user's status, disconnect, ban and unban. */
const ADMIN_ROUTES: Array<[method: string, path: RegExp]> = [
  ['GET', /^\/api\/admin\/rooms$/],
  ['GET', /^\/api\/admin\/users\/[^/]+$/],
  ['POST', /^\/api\/admin\/disconnect$/],
  ['POST', /^\/api\/admin\/ban$/],
  ['DELETE', /^\/api\/admin\/ban\/[^/]+$/],
];
const MAX_ADMIN_BODY = 64 * 1024;

const digest = (text: string) => createHash('sha256').update(text).digest();

export class DashboardServer {
  readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly streamsByAddress = new Map<string, number>();
  private latest: ClusterSnapshot | undefined;
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly isReady: () => boolean,
    private readonly access: AccessOptions,
  ) {
    this.tokenDigest = access.token === undefined ? undefined : digest(access.token);
    this.server = createServer((req, res) => {
      const path = pathOf(req.url);
      if (path === undefined) return void res.writeHead(400).end('bad request target\n');
      if (path.startsWith('/api/admin/')) return void this.admin(req, res, path);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return void res.writeHead(405, { allow: 'GET, HEAD' }).end('method not allowed: this API is read-only\n');
      }
      if (path.startsWith('/api/') && !this.authorized(req)) {
        return void res
          .writeHead(401, { 'www-authenticate': 'Bearer realm="chorus dashboard"', 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'unauthorized', message: 'send Authorization: Bearer <DASHBOARD_TOKEN>' }));
      }
      switch (path) {
        case '/':
          return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        case '/api/cluster':
          return void res
            .writeHead(this.latest ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify(this.latest ?? { error: 'no data yet' }));
        case '/api/stream':
          return req.method === 'HEAD'
            ? void res.writeHead(200, { 'content-type': 'text/event-stream' }).end()
            : this.stream(req, res);
        case '/healthz':
          return void res.writeHead(200).end('ok\n');
        case '/readyz':
          return void res.writeHead(this.isReady() ? 200 : 503).end(this.isReady() ? 'ready\n' : 'redis unreachable\n');
        default:
          return void res.writeHead(404).end('not found\n');
      }
    });
  }

  /**
   * The admin actions: forwarded to a gateway's server API (GATEWAY_URL) with the caller's own Authorization
   * header, which the gateway checks against its ADMIN_TOKEN. The dashboard keeps no admin power of its own.
   */
  private async admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const reply = (status: number, error: string, message: string) =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error, message }));
    if (!this.authorized(req)) return reply(401, 'unauthorized', 'send Authorization: Bearer <token>');
    const route = ADMIN_ROUTES.find(([method, pattern]) => method === req.method && pattern.test(path));
    if (!route) return reply(404, 'not_found', `no admin route ${req.method ?? ''} ${path}`);
    if (!this.access.gatewayUrl) return reply(503, 'unavailable', 'GATEWAY_URL is not set: admin actions are off');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ADMIN_BODY) return reply(413, 'too_large', 'request body too large');
      chunks.push(chunk);
    }
    try {
      const target = new URL(`/api/${path.slice('/api/admin/'.length)}`, this.access.gatewayUrl);
      target.search = new URL(req.url ?? '/', 'http://dashboard').search;
      const answer = await fetch(target, {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? '', 'content-type': 'application/json' },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        signal: AbortSignal.timeout(5_000),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    } catch {
      reply(502, 'unavailable', 'the gateway did not answer');
    }
  }

  /** Digests of equal length compared in constant time: neither the token nor its length leaks by timing. */
  private authorized(req: IncomingMessage): boolean {
    if (this.tokenDigest === undefined) return true;
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) return false;
    return timingSafeEqual(digest(header.slice(7)), this.tokenDigest);
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    if (this.streams.size >= MAX_STREAMS) return void res.writeHead(503).end('too many open streams\n');
    // One client cannot hold every stream and blank the page for everyone else.
    const address = req.socket.remoteAddress ?? '?';
    const held = this.streamsByAddress.get(address) ?? 0;
    if (held >= this.access.maxStreamsPerAddress) {
      return void res.writeHead(429).end('too many open streams from this address\n');
    }
    this.streamsByAddress.set(address, held + 1);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      const left = (this.streamsByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.streamsByAddress.set(address, left);
      else this.streamsByAddress.delete(address);
    });
    if (this.latest) res.write(`data: ${JSON.stringify(this.latest)}\n\n`);
  }

  publish(snapshot: ClusterSnapshot): void {
    this.latest = snapshot;
    const event = `data: ${JSON.stringify(snapshot)}\n\n`;
    for (const res of this.streams) {
      if (res.writableLength > MAX_STREAM_BACKLOG) res.destroy();
      else res.write(event);
    }
  }

  close(): void {
    for (const res of this.streams) res.end();
    this.server.close();
  }
}
