// Pub/sub between the nodes of one hub: each node's link, its subscriptions, and the faults a test may inject
// (a cut link, held or reordered messages, dropped messages). Delivery is synchronous and in publish order,
// as Redis delivers one channel's messages to one subscriber.
import type { BusListener } from '../bus.js';
import { deliverChannelMessage } from '../channel-messages.js';

export type ChannelKind = 'r' | 'u';
export interface ChannelMessage {
  kind: ChannelKind;
  name: string;
  message: string;
}

/** One node's end of the hub. */
export class Link {
  listener: BusListener | undefined;
  readonly rooms = new Set<string>();
  readonly users = new Set<string>();
  /** Cut from the bus: nothing arrives, every store call fails as `unavailable`. */
  cut = false;
  /** While set, messages wait here instead of arriving. */
  held: ChannelMessage[] | undefined;
  /** How many of the next messages are lost on the way. */
  dropping = 0;
  /** While set, replies from the message log wait here (a slow Redis): each runs when released. */
  stalled: Array<() => void> | undefined;

  constructor(
    readonly node: string,
    private readonly answerKick: (id: string, closed: number) => void,
  ) {}

  listens(kind: ChannelKind, name: string): boolean {
    return !this.cut && (kind === 'r' ? this.rooms : this.users).has(name);
  }

  receive(m: ChannelMessage): void {
    if (this.dropping > 0) {
      this.dropping--;
      return;
    }
    if (this.held) this.held.push(m);
    else this.deliver(m);
  }

  deliver({ kind, name, message }: ChannelMessage): void {
    if (this.listener) deliverChannelMessage(kind, name, message, this.listener, this.answerKick);
  }
}

export class Channels {
  private readonly links = new Map<string, Link>();
  private readonly kicks = new Map<string, { closed: number; nodes: number }>();

  link(node: string): Link {
    if (this.links.has(node)) throw new Error(`node ${node} is already attached to this hub`);
    const link = new Link(node, (id, closed) => {
      const tally = this.kicks.get(id);
      if (tally) {
        tally.closed += closed;
        tally.nodes++;
      }
    });
    this.links.set(node, link);
    return link;
  }

  unlink(node: string): void {
    this.links.delete(node);
  }

  get size(): number {
    return this.links.size;
  }

  of(node: string): Link {
    const link = this.links.get(node);
    if (!link) throw new Error(`no node ${node} on this hub`);
    return link;
  }

  /** Whether any connected node listens to the channel. */
  listened(kind: ChannelKind, name: string): boolean {
    for (const link of this.links.values()) if (link.listens(kind, name)) return true;
    return false;
  }

  /** Publishes to every node listening; returns how many there were (what PUBLISH answers). */
  publish(kind: ChannelKind, name: string, message: string): number {
    let receivers = 0;
    for (const link of this.links.values()) {
      if (!link.listens(kind, name)) continue;
      receivers++;
      link.receive({ kind, name, message });
    }
    return receivers;
  }

  /** A kick's tally: how many connections the nodes closed, and how many nodes answered. */
  openKick(id: string): { closed: number; nodes: number } {
    const tally = { closed: 0, nodes: 0 };
    this.kicks.set(id, tally);
    return tally;
  }

  closeKick(id: string): void {
    this.kicks.delete(id);
  }
}
