// The embedded bus: the shared state of a cluster held in one process. A one-node chorus runs on a hub with
// one node; tests attach several nodes to one hub and inject the faults Redis and networks cause.
import { ProtocolError } from '@chorus/protocol';
import type { Bus, BusListener } from '../bus.js';
import type { InboxRetention, Retention } from '../message-log.js';
import { MemoryBans } from './bans.js';
import { MemoryBroker } from './broker.js';
import { Channels, type ChannelMessage, type Link } from './channels.js';
import { MemoryMessageLog } from './message-log.js';
import { MemoryPresence } from './presence.js';
import { MemoryRegistry } from './registry.js';

export interface MemoryHubOptions {
  /** Each room's history (its namespace's `history` and `historyTtlS`). */
  history: (room: string) => Retention;
  inbox: InboxRetention;
  now?: () => number;
}

/** How often the hub forgets what Redis would have expired. */
const SWEEP_EVERY_MS = 10_000;

export class MemoryHub {
  readonly messages: MemoryMessageLog;
  readonly presence: MemoryPresence;
  readonly registry: MemoryRegistry;
  readonly bans: MemoryBans;
  private readonly channels = new Channels();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: MemoryHubOptions) {
    const now = options.now ?? Date.now;
    this.messages = new MemoryMessageLog({ ...options, now }, this.channels);
    this.presence = new MemoryPresence(this.channels);
    this.registry = new MemoryRegistry(now);
    this.bans = new MemoryBans(now);
  }

  /** A node's bus on this hub. */
  attach(node: string): MemoryBus {
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_EVERY_MS).unref();
    return new MemoryBus(this, this.channels, node);
  }

  detach(node: string): void {
    this.channels.unlink(node);
    if (this.channels.size > 0) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  sweep(): void {
    this.messages.sweep();
    this.bans.sweep();
  }

  // ---- faults, for tests ---------------------------------------------------------------------

  /** The node loses its link: nothing reaches it and its calls fail, until `restore`. */
  cut(node: string): void {
    const link = this.channels.of(node);
    if (link.cut) return;
    link.cut = true;
    link.listener?.connectionChanged?.(false);
  }

  /** The link is back: the node hears of it as of a Redis reconnect, and resyncs. */
  restore(node: string): void {
    const link = this.channels.of(node);
    if (!link.cut) return;
    link.cut = false;
    link.listener?.connectionChanged?.(true);
    link.listener?.resynced?.();
  }

  /** Messages to the node wait until `release`. */
  hold(node: string): void {
    this.channels.of(node).held ??= [];
  }

  /** Delivers the held messages, in publish order or in the order `arrange` gives them, and stops holding. */
  release(node: string, arrange: (held: ChannelMessage[]) => ChannelMessage[] = (held) => held): void {
    const link = this.channels.of(node);
    const held = link.held ?? [];
    link.held = undefined;
    for (const m of arrange(held)) link.deliver(m);
  }

  /**
   * Replies of the message log to the node are late: each call is applied at once, its reply arrives at
   * `resume` (a slow link, a read overtaken by live messages).
   */
  stall(node: string): void {
    this.channels.of(node).stalled ??= [];
  }

  resume(node: string): void {
    const link = this.channels.of(node);
    const waiting = link.stalled ?? [];
    link.stalled = undefined;
    for (const reply of waiting) reply();
  }

  /** The next `count` messages to the node are lost on the way (pub/sub does not retry). */
  drop(node: string, count: number): void {
    this.channels.of(node).dropping += count;
  }
}

/** One node's bus: its own broker, and the hub's stores behind its link. */
export class MemoryBus implements Bus {
  readonly kind = 'memory';
  readonly broker: MemoryBroker;
  readonly messages: MemoryMessageLog;
  readonly presence: MemoryPresence;
  readonly registry: MemoryRegistry;
  readonly bans: MemoryBans;
  private readonly link: Link;

  constructor(
    private readonly hub: MemoryHub,
    channels: Channels,
    readonly node: string,
  ) {
    this.link = channels.link(node);
    this.broker = behindLink(new MemoryBroker(channels, this.link), this.link);
    this.messages = behindLink(hub.messages, this.link, true);
    this.presence = behindLink(hub.presence, this.link);
    this.registry = behindLink(hub.registry, this.link);
    this.bans = behindLink(hub.bans, this.link);
  }

  get connected(): boolean {
    return !this.link.cut;
  }

  async start(listener: BusListener): Promise<void> {
    this.link.listener = listener;
  }

  async close(): Promise<void> {
    this.link.listener = undefined;
    this.hub.detach(this.node);
  }
}

/**
 * The store as one node reaches it: each call fails as `unavailable` while the node is cut from the hub, as
 * a Redis call does without a link; a stalled link holds the message log's replies. Wrappers are made once.
 */
const behindLink = <T extends object>(store: T, link: Link, stallable = false): T => {
  const wrapped = new Map<PropertyKey, unknown>();
  const call = (method: (...args: unknown[]) => unknown, target: T, args: unknown[]) => {
    if (link.cut) return Promise.reject(new ProtocolError('unavailable', 'bus unavailable'));
    const result = method.apply(target, args);
    const stalled = stallable ? link.stalled : undefined;
    if (!stalled) return result;
    return new Promise((resolve) => stalled.push(() => resolve(result)));
  };
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let wrapper = wrapped.get(prop);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => call(method, target, args);
        wrapped.set(prop, wrapper);
      }
      return wrapper;
    },
  });
};
