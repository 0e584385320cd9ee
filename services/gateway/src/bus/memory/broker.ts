// One node's broker on a hub: its subscriptions, and what it publishes that is never stored.
import { nanoid } from 'nanoid';
import { KICK_WAIT_MS, type Broker } from '../broker.js';
import { encode } from '../channel-messages.js';
import type { Channels, Link } from './channels.js';

export class MemoryBroker implements Broker {
  constructor(
    private readonly channels: Channels,
    private readonly link: Link,
  ) {}

  async subscribeRoom(room: string): Promise<void> {
    this.link.rooms.add(room);
  }
  async unsubscribeRoom(room: string): Promise<void> {
    this.link.rooms.delete(room);
  }
  async subscribeUser(user: string): Promise<void> {
    this.link.users.add(user);
  }
  async unsubscribeUser(user: string): Promise<void> {
    this.link.users.delete(user);
  }

  async signalUser(to: string, frame: string): Promise<boolean> {
    return this.channels.publish('u', to, encode.userSignal(frame)) > 0;
  }

  async signalRoom(room: string, originConn: string, frame: string): Promise<void> {
    this.channels.publish('r', room, encode.roomSignal(originConn, frame));
  }

  async userNodes(user: string): Promise<number> {
    return this.channels.publish('u', user, encode.probe());
  }

  /** Every node with a connection of the user closes it and adds to the kick's tally; waits for them all. */
  async kick(user: string, code: number, reason: string): Promise<number> {
    const id = nanoid(12);
    const tally = this.channels.openKick(id);
    try {
      const nodes = this.channels.publish('u', user, encode.kick(code, id, reason));
      const deadline = Date.now() + KICK_WAIT_MS;
      while (tally.nodes < nodes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      return tally.closed;
    } finally {
      this.channels.closeKick(id);
    }
  }
}
