// The broker in Redis: channel subscriptions (sharded in a Redis Cluster), signals, kicks and probes.
import { nanoid } from 'nanoid';
import type { Logger } from 'pino';
import { KICK_WAIT_MS, type Broker } from '../broker.js';
import { encode } from '../channel-messages.js';
import { busError } from './commands.js';
import { kickKeys, roomKeys, userKeys } from './keys.js';
import type { RedisLink } from './link.js';

export class RedisBroker implements Broker {
  constructor(
    private readonly link: RedisLink,
    private readonly options: { prefix: string; cluster: boolean },
    private readonly log: Logger,
  ) {}

  private async publishOn(channel: string, payload: string): Promise<number> {
    const { cmd } = this.link;
    try {
      return Number(await (this.options.cluster ? cmd.spublish(channel, payload) : cmd.publish(channel, payload)));
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  private async channel(op: 'subscribe' | 'unsubscribe', channel: string): Promise<void> {
    const { sub } = this.link;
    try {
      if (this.options.cluster) await (op === 'subscribe' ? sub.ssubscribe(channel) : sub.sunsubscribe(channel));
      else await (op === 'subscribe' ? sub.subscribe(channel) : sub.unsubscribe(channel));
    } catch (err) {
      throw busError(err, this.log);
    }
  }

  subscribeRoom(room: string) {
    return this.channel('subscribe', roomKeys(this.options.prefix, room).channel);
  }
  unsubscribeRoom(room: string) {
    return this.channel('unsubscribe', roomKeys(this.options.prefix, room).channel);
  }
  subscribeUser(user: string) {
    return this.channel('subscribe', userKeys(this.options.prefix, user).channel);
  }
  unsubscribeUser(user: string) {
    return this.channel('unsubscribe', userKeys(this.options.prefix, user).channel);
  }

  /** The user's nodes subscribe to its channel exactly while it has a connection: receivers = online. */
  async signalUser(to: string, frame: string): Promise<boolean> {
    return (await this.publishOn(userKeys(this.options.prefix, to).channel, encode.userSignal(frame))) > 0;
  }

  async signalRoom(room: string, originConn: string, frame: string): Promise<void> {
    await this.publishOn(roomKeys(this.options.prefix, room).channel, encode.roomSignal(originConn, frame));
  }

  userNodes(user: string): Promise<number> {
    return this.publishOn(userKeys(this.options.prefix, user).channel, encode.probe());
  }

  /** Every node with a connection of the user closes it and adds to the kick's tally; waits for them all. */
  async kick(user: string, code: number, reason: string): Promise<number> {
    const id = nanoid(12);
    const keys = kickKeys(this.options.prefix, id);
    const nodes = await this.publishOn(userKeys(this.options.prefix, user).channel, encode.kick(code, id, reason));
    const deadline = Date.now() + KICK_WAIT_MS;
    for (;;) {
      const [count, answered] = await this.link.cmd.mget(keys.closed, keys.nodes);
      const closed = Number(count ?? 0);
      if (Number(answered ?? 0) >= nodes || Date.now() >= deadline) return closed;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** A node answers a kick with how many of the user's connections it closed (the API waits for the tally). */
  answerKick(id: string, closed: number): void {
    const keys = kickKeys(this.options.prefix, id);
    this.link.cmd
      .multi()
      .incrby(keys.closed, closed)
      .incr(keys.nodes)
      .pexpire(keys.closed, KICK_WAIT_MS * 5)
      .pexpire(keys.nodes, KICK_WAIT_MS * 5)
      .exec()
      .catch((err: unknown) => this.log.warn({ err }, 'kick answer failed'));
  }
}
