// The link to Redis: a command connection and a subscriber connection (one in a Redis Cluster), their health,
// and what the node must hear when they go and come back.
import type { Logger } from 'pino';
import { connectRedis, type RedisTarget } from '@chorus/redis';
import type { BusListener } from '../bus.js';
import { deliverChannelMessage } from '../channel-messages.js';
import { defineScripts, type Client, type Scripted } from './commands.js';
import { parseChannel } from './keys.js';

/** How often both Redis connections are pinged to find a link that silently drops packets. */
const HEALTH_EVERY_MS = 1_000;

export class RedisLink {
  readonly cmd: Scripted;
  readonly sub: Client;
  private listener: BusListener | undefined;
  private wasReady = false;
  private lastConnected = false;
  /** Set when the link stopped answering pings (a silent partition), until both clients are ready again. */
  private silent = false;
  private checking = false;
  private health: NodeJS.Timeout | undefined;

  constructor(
    private readonly target: RedisTarget,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {
    const { cmd, sub } = connectRedis(target, timeoutMs);
    this.cmd = defineScripts(cmd);
    this.sub = sub;
  }

  private get clients(): Client[] {
    return [...new Set([this.cmd, this.sub])];
  }

  get connected(): boolean {
    return this.cmd.status === 'ready' && this.sub.status === 'ready' && !this.silent;
  }

  /** Connects both clients; channel messages go to `listener`, kicks are answered through `answerKick`. */
  async start(listener: BusListener, answerKick: (id: string, closed: number) => void): Promise<void> {
    this.listener = listener;
    const onMessage = (channel: string, message: string) => {
      const [kind, name] = parseChannel(this.target.prefix, channel);
      deliverChannelMessage(kind, name, message, listener, answerKick);
    };
    if (this.target.cluster) this.sub.on('smessage', onMessage);
    else this.sub.on('message', onMessage);
    for (const client of this.clients) {
      client.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis error'));
      client.on('ready', () => this.onReady());
      client.on('close', () => this.onConnectionChange());
    }
    await Promise.all(this.clients.map((c) => c.connect()));
    if (!this.target.cluster) this.health = setInterval(() => void this.checkHealth(), HEALTH_EVERY_MS);
  }

  /**
   * A link whose packets are silently dropped (a partition, not a refusal) looks connected to the socket layer
   * for minutes. Both connections are pinged every second: one that does not answer within BUS_TIMEOUT_MS makes
   * the node unready and is reconnected, which resyncs every room once the link is back.
   */
  private async checkHealth(): Promise<void> {
    if (this.checking || !this.lastConnected) return;
    this.checking = true;
    const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.timeoutMs).unref());
    const pings = Promise.all([this.cmd.ping(), this.sub.ping()]).then(
      () => 'ok' as const,
      () => 'failed' as const,
    );
    const outcome = await Promise.race([pings, deadline]);
    this.checking = false;
    if (outcome === 'ok' || !this.lastConnected) return;
    this.log.warn({ outcome }, 'bus not answering pings; reconnecting');
    this.silent = true;
    this.onConnectionChange();
    for (const client of this.clients) client.disconnect(true);
  }

  private onReady(): void {
    if (this.cmd.status === 'ready' && this.sub.status === 'ready') this.silent = false;
    this.onConnectionChange();
    if (!this.connected) return;
    if (this.wasReady) {
      // Pub/sub drops messages while disconnected: the feeds read what they missed from the streams.
      this.log.info('bus reconnected; resyncing rooms');
      this.listener?.resynced?.();
    }
    this.wasReady = true;
  }

  private onConnectionChange(): void {
    const now = this.connected;
    if (now === this.lastConnected) return;
    this.lastConnected = now;
    this.listener?.connectionChanged?.(now);
    if (!now) this.log.warn('bus disconnected');
  }

  async close(): Promise<void> {
    clearInterval(this.health);
    await Promise.allSettled(this.clients.map((c) => c.quit()));
  }
}
