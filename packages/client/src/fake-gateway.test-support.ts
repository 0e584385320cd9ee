// A fake gateway for the SDK's unit tests: every socket the client opens lands here; the test plays the server.
import type { SocketFactory, SocketLike } from './socket.js';

export type Sent = Record<string, unknown> & { type: string; id?: string };

/** A fake server: every socket the client opens lands here, and the test plays the gateway. */
/** A welcome's limits as a gateway sends them (the frame must pass the protocol's schemas). */
const LIMITS = { maxFrameBytes: 65536, maxBodyBytes: 16384, ratePerSec: 50, maxRooms: 100 };

export class FakeGateway {
  sockets: FakeSocket[] = [];
  get socket(): FakeSocket {
    return this.sockets.at(-1)!;
  }
  readonly factory: SocketFactory;
  constructor() {
    const sockets = this.sockets;
    // A class, because the client calls `new` on it, as on the real WebSocket.
    this.factory = class extends FakeSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    };
  }
}

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  sent: Sent[] = [];
  closedWith: number | undefined;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Sent);
  }
  close(code?: number) {
    this.closedWith = code ?? 1000;
    this.readyState = 3;
  }
  /** The server side. */
  welcome(user = 'alice', heartbeatMs = 25000) {
    this.readyState = 1;
    this.push({ type: 'welcome', conn: 'c'.repeat(21), user, name: user, node: 'n1', heartbeatMs, limits: LIMITS });
  }
  push(frame: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  pushRaw(data: string) {
    this.onmessage?.({ data });
  }
  reply(match: (f: Sent) => boolean, fields: Record<string, unknown>) {
    const frame = this.sent.find(match);
    if (!frame) throw new Error(`no sent frame matched; sent: ${JSON.stringify(this.sent)}`);
    this.push({ type: 'ack', id: frame.id, ...fields });
    return frame;
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  last(type: string) {
    return this.sent.filter((f) => f.type === type).at(-1);
  }
}
