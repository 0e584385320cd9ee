// A test client over `ws`: collects every frame, waits for frames by predicate, and sends requests with ids.
import WebSocket from 'ws';
import { COMPACT_SUBPROTOCOL, expandCompactMessage, parseServerFrame } from '@chorus/protocol';

export type Frame = Record<string, unknown> & { type: string };

export interface ConnectOptions {
  user?: string;
  name?: string;
  token?: string;
  protocols?: string[];
  headers?: Record<string, string>;
  /** Do not answer server pings (to test the keepalive cut). */
  silent?: boolean;
  /** Offer permessage-deflate (ws does by default). */
  deflate?: boolean;
}

interface SocketCounters {
  bytesRead: number;
  bytesWritten: number;
  localPort?: number;
}

export class TestClient implements AsyncDisposable {
  readonly frames: Frame[] = [];
  /** Every text frame as it came over the wire (inflated, when the socket deflates). */
  readonly raw: string[] = [];
  /** Bytes read from the TCP socket so far: frames as sent, compressed or not. */
  get bytesRead(): number {
    return this.socket.bytesRead;
  }
  private get socket(): SocketCounters {
    return (this.ws as unknown as { _socket: SocketCounters })._socket;
  }
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The client's end of the TCP connection, to find it in a capture or in the server's logs. */
  localPort: number | undefined;
  private waiters: Array<{ test: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }> = [];
  private nextId = 1;
  pings = 0;
  /** The close's code and reason, once closed. */
  closedWith: string | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closedWith = `${code} ${String(reason)}`;
        resolve({ code, reason: String(reason) });
      }),
    );
    ws.on('ping', () => this.pings++);
    ws.once('open', () => {
      this.localPort = this.socket.localPort;
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = String(data);
      // The contract enforced on the server's side of the wire: every frame a test sees must parse.
      const compact = ws.protocol === COMPACT_SUBPROTOCOL;
      const checked = parseServerFrame(text, { compact });
      if (!checked.ok) {
        queueMicrotask(() => {
          throw new Error(`server frame breaks the protocol (${checked.message}): ${text.slice(0, 300)}`);
        });
      }
      // a compact message is kept expanded, so tests wait for `message` frames alike; `raw` has the bytes
      const value = JSON.parse(text) as unknown;
      const frame = (compact && Array.isArray(value) ? expandCompactMessage(value) : value) as Frame;
      this.raw.push(text);
      this.frames.push(frame);
      const index = this.frames.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (index >= w.from && w.test(frame)) {
          w.resolve(frame);
          return false;
        }
        return true;
      });
    });
  }

  static async connect(base: string, options: ConnectOptions = {}): Promise<TestClient> {
    const url = new URL(base);
    if (options.user !== undefined) url.searchParams.set('user', options.user);
    if (options.name !== undefined) url.searchParams.set('name', options.name);
    if (options.token !== undefined) url.searchParams.set('token', options.token);
    const ws = new WebSocket(url, options.protocols ?? [], {
      headers: options.headers,
      autoPong: !options.silent,
      perMessageDeflate: options.deflate ?? true,
    });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () =>
          reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })),
        );
      });
    });
    await client.next((f) => f.type === 'welcome');
    return client;
  }

  /** The first frame (from the start, or after index `from`) matching `test`. */
  next(test: (f: Frame) => boolean, timeoutMs = 5_000, from = 0): Promise<Frame> {
    const found = this.frames.slice(from).find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for a frame (${this.wireState()}); got:\n${this.dump()}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        from,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /**
   * What the socket did, for a timeout's message: whether the bytes of what was sent left this process, and
   * whether anything came back, so a lost frame points at one side of the wire.
   */
  private wireState(): string {
    const closed = this.closedWith ? ` (closed: ${this.closedWith})` : '';
    return (
      `readyState ${this.ws.readyState}${closed}, bufferedAmount ${this.ws.bufferedAmount}, ` +
      `socket bytesWritten ${this.socket.bytesWritten}, bytesRead ${this.socket.bytesRead}, ` +
      `from port ${this.localPort}`
    );
  }

  /** Wait until `count` frames match. */
  async collect(test: (f: Frame) => boolean, count: number, timeoutMs = 5_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.filter(test).length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} frames, got ${this.frames.filter(test).length}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.frames.filter(test);
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** Send a frame with a fresh id and wait for the reply carrying it. */
  async request(frame: Record<string, unknown>, timeoutMs = 5_000): Promise<Frame> {
    const id = `r${this.nextId++}`;
    this.ws.send(JSON.stringify({ ...frame, id }));
    return this.next((f) => f.id === id, timeoutMs);
  }

  /** Like request, but throws unless the reply is not an error. */
  async ok(frame: Record<string, unknown>): Promise<Frame> {
    const reply = await this.request(frame);
    if (reply.type === 'error') throw new Error(`${String(frame.type)} failed: ${JSON.stringify(reply)}`);
    return reply;
  }

  messages(room?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'message' && (room === undefined || f.room === room));
  }

  dump(): string {
    return this.frames.map((f) => JSON.stringify(f)).join('\n');
  }

  close(): void {
    this.ws.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate();
    }
  }
}
