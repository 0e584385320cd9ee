// Adapts uWebSockets.js to the Transport/Connection seam; the only module that imports it.
import { STATUS_CODES } from 'node:http';
import uWS from 'uWebSockets.js';
import { COMPACT_SUBPROTOCOL, SUBPROTOCOL } from '@chorus/protocol/codes';
import type {
  Connection,
  HttpExchange,
  HttpHandler,
  SocketHandlers,
  Transport,
  TransportOptions,
  UpgradeRequest,
} from './transport.js';

/**
 * uWS.js takes (host, port, options, callback) at run time, but its typings offer options only without a host.
 * The option is read from the module itself (LIBUS_LISTEN_EXCLUSIVE_PORT).
 */
interface ExclusiveListen {
  listen(host: string, port: number, options: number, cb: (socket: uWS.us_listen_socket | false) => void): void;
}
const EXCLUSIVE_PORT = (uWS as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;

/** uWS.js silently falls back to a slow pure-JS server when its native binary fails to load. */
export const uwsIsNative = (): boolean => String(uWS.App).includes('[native code]');

const decoder = new TextDecoder('utf-8');
const COMPRESSORS = {
  off: uWS.DISABLED,
  shared: uWS.SHARED_COMPRESSOR,
  dedicated: uWS.DEDICATED_COMPRESSOR_4KB,
} as const;
const statusLine = (status: number) => `${status} ${STATUS_CODES[status] ?? 'Status'}`;

interface SocketData {
  compact: boolean;
  connection?: UwsConnection;
}

/** The subprotocol the server selects: compact when offered at all (§10.7), else v1, else none. */
const selectProtocol = (offered: string): string => {
  const names = offered.split(',').map((p) => p.trim());
  if (names.includes(COMPACT_SUBPROTOCOL)) return COMPACT_SUBPROTOCOL;
  return names.includes(SUBPROTOCOL) ? SUBPROTOCOL : '';
};

class UwsConnection implements Connection {
  closed = false;
  /** Handed to the session (SocketHandlers.open): only then do its frames and its close reach the handlers. */
  opened = false;
  constructor(
    private readonly ws: uWS.WebSocket<SocketData>,
    readonly compact: boolean,
    /** Ask uWS to deflate (it does only where the client negotiated permessage-deflate). */
    private readonly compress: boolean,
  ) {}
  /** Runs `work` with the socket's writes batched into one send. */
  cork(work: () => void): void {
    this.ws.cork(work);
  }
  send(text: string): boolean {
    if (this.closed) return false;
    this.ws.send(text, false, this.compress);
    return true;
  }
  close(code: number, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.end(code, reason);
  }
  cut(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close();
  }
  ping(): void {
    if (!this.closed) this.ws.ping();
  }
  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }
  subscribe(topic: string): void {
    if (!this.closed) this.ws.subscribe(topic);
  }
  unsubscribe(topic: string): void {
    if (!this.closed) this.ws.unsubscribe(topic);
  }
  publishExceptSelf(topic: string, text: string): void {
    if (!this.closed) this.ws.publish(topic, text, false, this.compress);
  }
}

const requestOf = (req: uWS.HttpRequest, res: uWS.HttpResponse): UpgradeRequest & { abandon(): void } => {
  const query = new URLSearchParams(req.getQuery() ?? '');
  const headers = new Map<string, string>();
  req.forEach((key, value) => headers.set(key, value));
  let abandoned: (() => void) | undefined;
  return {
    url: req.getUrl(),
    query,
    header: (name) => headers.get(name.toLowerCase()) ?? '',
    remoteAddress: decoder.decode(res.getRemoteAddressAsText()),
    onAbandoned: (listener) => {
      abandoned = listener;
    },
    abandon: () => abandoned?.(),
  };
};

class UwsExchange implements HttpExchange {
  aborted = false;
  private done = false;
  readonly method: string;
  readonly url: string;
  readonly query: URLSearchParams;
  private readonly headers = new Map<string, string>();
  constructor(
    private readonly res: uWS.HttpResponse,
    req: uWS.HttpRequest,
  ) {
    this.method = req.getMethod().toUpperCase();
    this.url = req.getUrl();
    this.query = new URLSearchParams(req.getQuery() ?? '');
    req.forEach((key, value) => this.headers.set(key, value));
    res.onAborted(() => {
      this.aborted = true;
    });
  }
  header(name: string): string {
    return this.headers.get(name.toLowerCase()) ?? '';
  }
  readBody(maxBytes: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      this.res.onData((chunk, isLast) => {
        if (refused) return;
        size += chunk.byteLength;
        if (size > maxBytes) {
          refused = true;
          resolve(undefined);
          return;
        }
        chunks.push(Buffer.from(chunk.slice(0))); // uWS reuses the chunk's memory after this call
        if (isLast) resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }
  respond(status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
    if (this.aborted || this.done) return;
    this.done = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status)).writeHeader('content-type', contentType).end(body);
    });
  }
}

export const createUwsTransport = <T>(handlers: SocketHandlers<T>, options: TransportOptions): Transport => {
  const app = uWS.App();
  let listenSocket: uWS.us_listen_socket | undefined;
  const compress = options.compression !== 'off';
  /** The socket the `open` handler just saw: set within res.upgrade, taken by `finish` right after it. */
  let justOpened: UwsConnection | undefined;

  app.ws<SocketData>('/ws', {
    // uWS cuts frames above this and sockets whose buffer passes maxBackpressure; the protocol's own,
    // lower limits are enforced in JS so clients get a proper close code (1009, 1013) first.
    maxPayloadLength: options.hardFrameLimit,
    maxBackpressure: options.hardBackpressureLimit,
    closeOnBackpressureLimit: 1, // never let app.publish skip a slow socket: a gap is worse than a cut
    idleTimeout: 0, // keepalive is ours (keepalive.ts): uWS's granularity is whole seconds, min 8
    sendPingsAutomatically: false,
    compression: COMPRESSORS[options.compression],
    upgrade: (res, req, context) => {
      const key = req.getHeader('sec-websocket-key');
      const offered = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const request = requestOf(req, res);
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
        request.abandon();
      });
      const protocol = selectProtocol(offered);
      const finish = (decision: Awaited<ReturnType<SocketHandlers<T>['upgrade']>>) => {
        if (aborted) return;
        const data: SocketData = { compact: protocol === COMPACT_SUBPROTOCOL };
        res.cork(() => {
          if ('reject' in decision) {
            res
              .writeStatus(statusLine(decision.reject.status))
              .writeHeader('content-type', 'text/plain; charset=utf-8')
              .end(decision.reject.reason + '\n');
            return;
          }
          res.upgrade(data, key, protocol, extensions, context);
        });
        if ('reject' in decision) return;
        // The socket is the session's only now, after res.cork returned (see `open` below).
        const connection = justOpened;
        justOpened = undefined;
        if (!connection || connection.closed) return request.abandon();
        connection.opened = true;
        connection.cork(() => handlers.open(connection, decision.accept));
      };
      Promise.resolve()
        .then(() => handlers.upgrade(request))
        .then(finish, () => finish({ reject: { status: 500, reason: 'internal error' } }));
    },
    /**
     * Runs inside `res.cork` of an upgrade answered after an await, where it must not touch the socket. uWS.js
     * 20.30 reads the HTTP response's state after that cork's callback, from memory the upgrade reallocated in
     * place: when what the open handler allocated lands there with the "connection: close" bit set, uWS shuts
     * the new socket down (the client sees 101, welcome, then a FIN: 1006). Fixed upstream in uWebSockets#1929;
     * until that version is the one this project can install, the session opens in `finish`, after the cork.
     */
    open: (ws) => {
      const data = ws.getUserData();
      data.connection = justOpened = new UwsConnection(ws, data.compact, compress);
    },
    message: (ws, message, isBinary) => {
      const connection = ws.getUserData().connection!;
      if (message.byteLength > options.maxFrameBytes) handlers.oversize(connection);
      else if (isBinary) handlers.binary(connection);
      else handlers.text(connection, decoder.decode(message));
    },
    pong: (ws) => handlers.pong(ws.getUserData().connection!),
    close: (ws, code) => {
      const connection = ws.getUserData().connection!;
      connection.closed = true;
      if (connection.opened) handlers.close(connection, code);
    },
  });
  // A plain GET on /ws falls through the ws route to here.
  app.get('/ws', (res) => {
    res
      .writeStatus(statusLine(426))
      .writeHeader('upgrade', 'websocket')
      .end('upgrade required: connect with WebSocket\n');
  });

  const route = (method: 'get' | 'post' | 'any', pattern: string, handler: HttpHandler) => {
    app[method](pattern, (res, req) => {
      const exchange = new UwsExchange(res, req);
      Promise.resolve()
        .then(() => handler(exchange))
        .catch(() => exchange.respond(500, 'internal error\n'));
    });
  };

  return {
    publish: (topic, text) => {
      const subscribers = app.numSubscribers(topic);
      if (subscribers > 0) app.publish(topic, text, false, compress);
      return subscribers;
    },
    subscribers: (topic) => app.numSubscribers(topic),
    route,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        // Exclusive: uSockets would otherwise set SO_REUSEPORT, and a second node started on this port by
        // mistake would silently take half its connections instead of failing to start.
        (app as unknown as ExclusiveListen).listen(host, port, EXCLUSIVE_PORT, (socket) => {
          if (!socket) return reject(new Error(`cannot listen on ${host}:${port}`));
          listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket));
        });
      }),
    stopListening: () => {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
    },
  };
};
