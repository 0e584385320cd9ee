// Chaos helpers: the scale knob, a TCP proxy the test can cut (a partition), results for docs/reliability.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/** `pnpm chaos` runs the full scale; CI the short one (seconds, not minutes), with the same assertions. */
export const FULL = process.env.CHAOS_SCALE === 'full';
export const scale = <T>(short: T, full: T): T => (FULL ? full : short);

const results = fileURLToPath(new URL('../results/', import.meta.url));

/** Figures for docs/reliability.md (`loadtest/chaos/report.mjs` turns them into its table). */
export const record = (scenario: string, figures: Record<string, unknown>): void => {
  mkdirSync(results, { recursive: true });
  const file = `${results}chaos-${scenario}-${FULL ? 'full' : 'short'}.json`;
  writeFileSync(
    file,
    JSON.stringify({ scenario, scale: FULL ? 'full' : 'short', at: new Date().toISOString(), ...figures }, null, 2),
  );
};

export const percentile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** A TCP proxy on loopback between a gateway and Redis; `cut()` drops every connection and refuses new ones. */
export class Partition implements AsyncDisposable {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private open = true;
  port = 0;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      if (!this.open) {
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async to(targetPort: number): Promise<Partition> {
    const proxy = new Partition(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.open = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/**
 * Sends `{ i }` to `room` every 5 ms, each with a fresh idempotency key (a failed send is not retried here, so
 * what is acked is exactly what was applied), until `stop()`. `acked`: seq → msg; `errors`: the codes refused.
 */
export const keyedSends = (
  sender: {
    room(name: string): { send(body: unknown, options: { key: string }): Promise<{ seq: number; msg: string }> };
  },
  room: string,
) => {
  const acked = new Map<number, string>();
  const errors: string[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      await sender
        .room(room)
        .send({ i }, { key: `k${i}` })
        .then(
          (a) => acked.set(a.seq, a.msg),
          (e: { code: string }) => errors.push(e.code),
        );
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    acked,
    errors,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
};
