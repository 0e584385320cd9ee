// The end-to-end check that compose and kube play both pass, through running containers: SDK clients in one
// room across three gateway containers, a steady sender, one gateway stopped (it drains: its clients move),
// another killed (its clients recover), and every client ends with every message once, in order; the
// dashboard container lists the gateways that still run.
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { connect } from '../../packages/client/src/node.js';
import type { ChorusClient } from '../../packages/client/src/client.js';
import { sleep, until } from '@chorus/test-kit';

export interface RunningDeployment {
  /** Each client's list of gateway URLs (compose: the load balancer; kube play: the pods, as a client would list them). */
  urlsFor(client: number): string[];
  /** Gateway NODE_ID → its container. */
  containers: Map<string, string>;
  /** Stops a gateway as its operator would, giving it its grace period to drain. */
  stop(node: string): Promise<unknown>;
  /** The dashboard container's base URL, and the token its API takes. */
  dashboard: { url: string; token: string };
}

const run = promisify(execFile);
/** podman, without blocking the clients' event loop (a stop waits out the drain). */
export const podman = async (...args: string[]): Promise<string> => (await run('podman', args)).stdout;

/** The gateways the dashboard shows live. */
const liveOnDashboard = async ({ url, token }: RunningDeployment['dashboard']) => {
  const res = await fetch(`${url}/api/cluster`, { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
  if (!res?.ok) return [];
  const { nodes } = (await res.json()) as { nodes: Array<{ node: string; status: 'live' | 'gone' }> };
  return nodes
    .filter((n) => n.status === 'live')
    .map((n) => n.node)
    .sort();
};

export interface EndToEndReport {
  clients: number;
  messages: number;
  drainedClients: number;
  drainSeconds: number;
  killedClients: number;
  recoverSeconds: number;
}

/** The node behind `url`'s /stats, on a connection of its own, so a load balancer picks a server each time. */
const nodeOf = (url: string) =>
  new Promise<string | undefined>((resolve) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as { node?: string }).node);
        } catch {
          resolve(undefined);
        }
      });
    }).on('error', () => resolve(undefined));
  });

export const endToEnd = async (deployment: RunningDeployment): Promise<EndToEndReport> => {
  const nodes = [...deployment.containers.keys()];
  await until(
    'the dashboard lists every gateway',
    async () => (await liveOnDashboard(deployment.dashboard)).length === nodes.length,
    30_000,
  );
  expect(await liveOnDashboard(deployment.dashboard)).toEqual([...nodes].sort());

  // The dashboard sees a gateway as soon as it heartbeats; a load balancer sends it clients only after its own
  // health checks pass (HAProxy: two in a row, a second apart). Ask through the entry point until every gateway
  // has answered, so the clients below spread over all of them.
  await until(
    'the entry point reaches every gateway',
    async () => {
      const answered = new Set<string>();
      for (let i = 0; i < nodes.length * 4; i++) {
        const stats = deployment.urlsFor(i)[0]!.replace(/^ws/, 'http').replace(/\/ws$/, '/stats');
        const reply = await nodeOf(stats);
        if (reply) answered.add(reply);
      }
      return nodes.every((node) => answered.has(node));
    },
    30_000,
  );

  const CLIENTS = 12;
  const clients: ChorusClient[] = [];
  const seen = new Map<number, number[]>();
  try {
    for (let i = 0; i < CLIENTS; i++) {
      const client = connect(deployment.urlsFor(i), { user: `e2e${i}` }, { backoff: { baseMs: 100, maxMs: 500 } });
      clients.push(client);
      seen.set(i, []);
      client.room('e2e').on('message', (m) => seen.get(i)!.push(m.seq));
    }
    await Promise.all(clients.map((c) => c.ready()));
    await Promise.all(clients.map((c) => c.room('e2e').join()));
    const on = (node: string) => clients.filter((c) => c.node === node).length;
    // every gateway holds clients, so messages cross containers
    expect(nodes.map(on).every((n) => n > 0)).toBe(true);

    const sender = clients[0]!;
    const [drained, killed] = nodes.filter((n) => n !== sender.node);
    let sent = 0;
    const traffic = setInterval(
      () =>
        void sender
          .room('e2e')
          .send(`m${sent++}`)
          .catch(() => undefined),
      25,
    );
    await sleep(500);

    // stopped: SIGTERM through tini to node, which drains: `reconnect` + 1012 spread over DRAIN_MS
    const drainedClients = on(drained!);
    const drainStart = Date.now();
    const stopping = deployment.stop(drained!);
    await until(
      `${drained}'s clients moved`,
      () => on(drained!) === 0 && clients.every((c) => c.state === 'connected'),
      60_000,
    );
    const drainSeconds = (Date.now() - drainStart) / 1000;
    await stopping;

    // podman kill: no drain; the clients see their sockets die and resume elsewhere with `since`
    const killedClients = on(killed!);
    const killStart = Date.now();
    await podman('kill', deployment.containers.get(killed!)!);
    await until(
      `${killed}'s clients recovered`,
      () => on(killed!) === 0 && clients.every((c) => c.state === 'connected'),
      60_000,
    );
    const recoverSeconds = (Date.now() - killStart) / 1000;
    await sleep(500);
    clearInterval(traffic);

    await sleep(500);
    const latest = (await sender.room('e2e').history({ limit: 1 }))[0]!.seq;
    await until(
      'every client has the last message',
      () => [...seen.values()].every((s) => s.at(-1) === latest),
      10_000,
    );
    for (const [i, seqs] of seen)
      expect(seqs, `client e2e${i}`).toEqual(Array.from({ length: latest }, (_, k) => k + 1));
    expect(drainedClients).toBeGreaterThan(0);
    expect(killedClients).toBeGreaterThan(0);

    // the dashboard drops the stopped gateway (its drain deregisters it)
    await until(
      'the dashboard forgets the stopped gateway',
      async () => !(await liveOnDashboard(deployment.dashboard)).includes(drained!),
      30_000,
    );
    return { clients: CLIENTS, messages: latest, drainedClients, drainSeconds, killedClients, recoverSeconds };
  } finally {
    for (const c of clients) c.close();
  }
};
