// The dashboard's HTTP side: the page, GET /api/cluster (JSON) and /api/stream (server-sent events).
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
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

export class DashboardServer {
  readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private latest: ClusterSnapshot | undefined;

  constructor(private readonly isReady: () => boolean) {
    this.server = createServer((req, res) => {
      const path = pathOf(req.url);
      if (path === undefined) return void res.writeHead(400).end('bad request target\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return void res.writeHead(405, { allow: 'GET, HEAD' }).end('method not allowed: this API is read-only\n');
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
            : this.stream(res);
        case '/healthz':
          return void res.writeHead(200).end('ok\n');
        case '/readyz':
          return void res.writeHead(this.isReady() ? 200 : 503).end(this.isReady() ? 'ready\n' : 'redis unreachable\n');
        default:
          return void res.writeHead(404).end('not found\n');
      }
    });
  }

  private stream(res: ServerResponse): void {
    if (this.streams.size >= MAX_STREAMS) return void res.writeHead(503).end('too many open streams\n');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
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
