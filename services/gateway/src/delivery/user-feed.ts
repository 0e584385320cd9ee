// One user on one node: live dms to the user's sockets, and the inbox replayed to each new connection.
import type { Bus } from '../bus/bus.js';
import type { Connection } from '../transport/transport.js';

export const userTopic = (user: string) => `u:${user}`;

interface Opener {
  conn: Connection;
  buffer: Array<{ seq: number; frame: string }>;
}

export class UserFeed {
  readonly topic: string;
  private openers: Set<Opener> | undefined; // only while a connection of the user is opening
  private connections = 0;
  private subscription: Promise<void> | undefined;
  /** The newest inbox seq this node has delivered to the user's sockets. */
  private lastSeq = 0;

  constructor(
    readonly user: string,
    private readonly bus: Bus,
    private readonly publish: (topic: string, frame: string) => number,
  ) {
    this.topic = userTopic(user);
  }

  get size(): number {
    return this.connections;
  }

  onMessage(seq: number, frame: string): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
    this.publish(this.topic, frame);
    if (this.openers) for (const opener of this.openers) opener.buffer.push({ seq, frame });
  }

  /** A signal (§10.3) to every open connection of the user here; not stored, so an opening one may miss it. */
  onSignal(frame: string): void {
    this.publish(this.topic, frame);
  }

  /**
   * A new connection of the user: subscribe the node, send every unconfirmed dm oldest first,
   * then the dms that arrived meanwhile, then subscribe the socket — the last two synchronously.
   */
  async open(conn: Connection): Promise<void> {
    this.connections++;
    const opener: Opener = { conn, buffer: [] };
    (this.openers ??= new Set()).add(opener);
    try {
      this.subscription ??= this.bus.broker.subscribeUser(this.user).catch((err: unknown) => {
        this.subscription = undefined;
        throw err;
      });
      await this.subscription;
      const inbox = await this.bus.messages.inbox(this.user);
      let last = 0;
      for (const dm of inbox) {
        conn.send(dm.frame);
        last = dm.seq;
      }
      if (last > this.lastSeq) this.lastSeq = last;
      for (const b of opener.buffer) if (b.seq > last) conn.send(b.frame);
      conn.subscribe(this.topic);
    } finally {
      this.openers.delete(opener);
      if (this.openers.size === 0) this.openers = undefined;
    }
  }

  /** After a bus interruption: dms published meanwhile never came through pub/sub; read them from the inbox. */
  async resync(): Promise<void> {
    const missed = (await this.bus.messages.inbox(this.user)).filter((dm) => dm.seq > this.lastSeq);
    for (const dm of missed) this.onMessage(dm.seq, dm.frame);
  }

  /** Returns true when the user has no connection left on this node. */
  close(): boolean {
    this.connections--;
    return this.connections <= 0;
  }

  async unsubscribe(): Promise<void> {
    if (!this.subscription) return;
    this.subscription = undefined;
    await this.bus.broker.unsubscribeUser(this.user);
  }
}
