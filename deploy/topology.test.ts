// compose.yaml's topology run as plain local processes (no Docker here), and the real HAProxy config in
// front of three gateways: so neither file can drift from what runs.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connect } from '../packages/client/src/node.js';
import type { MessageFrame } from '../packages/protocol/src/index.js';
import { TestClient, sleep, freePort, startDashboard, startNode, startRedis, type NodeProcess } from '@chorus/test-kit';

const root = fileURLToPath(new URL('..', import.meta.url));

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  ports?: Array<{ target: number; published: string }>;
}
const compose = () =>
  (
    JSON.parse(
      execFileSync(`${root}deploy/tools/.bin/compose-validate`, [`${root}deploy/compose.yaml`], {
        encoding: 'utf8',
        env: { ...process.env, ADMIN_TOKEN: 'compose-admin-token-for-tests' },
      }),
    ) as {
      services: Record<string, ComposeService>;
    }
  ).services;

describe('compose.yaml as plain processes', () => {
  it('starts redis, three gateways and the dashboard with the same settings, and a message crosses nodes', async () => {
    const services = compose();
    // redis with compose's own command line (AOF), minus what only makes sense in a container
    const redisArgs = services.redis!.command!.slice(1);
    await using redis = await startRedis(redisArgs);
    const local = (env: Record<string, string>) =>
      Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('redis://redis:6379', redis.url)]));
    const gateways = await Promise.all(
      ['gateway-1', 'gateway-2', 'gateway-3'].map((name) =>
        startNode({ ...local(services[name]!.environment!), PORT: '0', DRAIN_MS: '300' }),
      ),
    );
    const dashboardEnv = local(services.dashboard!.environment!);
    await using dashboard = await startDashboard({ ...dashboardEnv, PORT: '0', POLL_MS: '200' });
    try {
      await using a = await TestClient.connect(gateways[0]!.url, { user: 'compose-a' });
      await using c = await TestClient.connect(gateways[2]!.url, { user: 'compose-c' });
      expect(a.frames[0]).toMatchObject({ node: 'gateway-1' });
      expect(c.frames[0]).toMatchObject({ node: 'gateway-3' });
      await a.ok({ type: 'join', room: 'compose' });
      await c.ok({ type: 'join', room: 'compose' });
      await a.ok({ type: 'send', room: 'compose', body: 'through compose' });
      expect(await c.next((f) => f.type === 'message')).toMatchObject({ body: 'through compose', from: 'compose-a' });
      // the admin token compose sets is the one the API takes
      const publish = await fetch(`${gateways[1]!.http}/api/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${services['gateway-2']!.environment!.ADMIN_TOKEN}` },
        body: JSON.stringify({ room: 'compose', body: 'from the api' }),
      });
      expect(publish.status).toBe(200);
      await c.next((f) => f.type === 'message' && f.body === 'from the api');
      // the dashboard sees all three through Redis
      const deadline = Date.now() + 5_000;
      let nodes: string[] = [];
      while (Date.now() < deadline) {
        const res = await fetch(`${dashboard.http}/api/cluster`, {
          headers: { authorization: `Bearer ${dashboardEnv.ADMIN_TOKEN}` },
        });
        if (res.ok) nodes = ((await res.json()) as { nodes: Array<{ node: string }> }).nodes.map((n) => n.node);
        if (nodes.length === 3) break;
        await sleep(200);
      }
      expect(nodes).toEqual(['gateway-1', 'gateway-2', 'gateway-3']);
    } finally {
      await Promise.all(gateways.map((g) => g.kill()));
    }
  });
});

describe('the HAProxy load balancer', () => {
  it('upgrades WebSockets to any gateway, and moves a drained node’s clients to the others', async () => {
    await using redis = await startRedis();
    const gateways: NodeProcess[] = await Promise.all(
      [1, 2, 3].map((n) => startNode({ NODE_ID: `gateway-${n}`, REDIS_URL: redis.url, DRAIN_MS: '1000' })),
    );
    const lbPort = await freePort();
    // deploy/haproxy/haproxy.cfg, with the compose host names pointed at the local processes
    let config = readFileSync(`${root}deploy/haproxy/haproxy.cfg`, 'utf8').replace(
      'bind *:8080',
      `bind 127.0.0.1:${lbPort}`,
    );
    gateways.forEach((g, i) => (config = config.replace(`gateway-${i + 1}:8080`, `127.0.0.1:${g.port}`)));
    const dir = mkdtempSync(join(tmpdir(), 'chorus-haproxy-'));
    writeFileSync(`${dir}/haproxy.cfg`, config);
    execFileSync('haproxy', ['-c', '-f', `${dir}/haproxy.cfg`], { stdio: 'pipe' });
    const haproxy = spawn('haproxy', ['-db', '-f', `${dir}/haproxy.cfg`], { stdio: 'ignore' });
    const clients: ReturnType<typeof connect>[] = [];
    try {
      const url = `ws://127.0.0.1:${lbPort}/ws`;
      await sleep(500); // first health checks
      const seen = new Map<string, MessageFrame[]>();
      for (let i = 0; i < 9; i++) {
        const client = connect(url, { user: `lb${i}` }, { backoff: { baseMs: 50, maxMs: 300 } });
        clients.push(client);
        seen.set(`lb${i}`, []);
        client.room('lb').on('message', (m) => seen.get(`lb${i}`)!.push(m));
      }
      await Promise.all(clients.map((c) => c.ready()));
      await Promise.all(clients.map((c) => c.room('lb').join()));
      const byNode = (n: string) => clients.filter((c) => c.node === n).length;
      expect(new Set(clients.map((c) => c.node)).size).toBe(3); // leastconn spreads them
      let sent = 0;
      const traffic = setInterval(
        () =>
          clients[0]!
            .room('lb')
            .send(sent++)
            .catch(() => undefined),
        20,
      );
      await sleep(200);
      const drained = clients.find((c) => c.node !== clients[0]!.node)!.node!;
      const movers = byNode(drained);
      gateways.find((g) => g.logs.some((l) => l.includes(`"node":"${drained}"`)))!.child.kill('SIGTERM');
      // reconnect + 1012 within DRAIN_MS; HAProxy takes the node out at its first failed /readyz check
      const deadline = Date.now() + 10_000;
      while ((byNode(drained) > 0 || clients.some((c) => c.state !== 'connected')) && Date.now() < deadline)
        await sleep(100);
      clearInterval(traffic);
      expect(byNode(drained)).toBe(0);
      expect(movers).toBeGreaterThan(0);
      const latest = (await clients[0]!.room('lb').history({ limit: 1 }))[0]!.seq;
      await sleep(300);
      for (const [user, messages] of seen) {
        expect(
          messages.map((m) => m.seq),
          user,
        ).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
      }
    } finally {
      for (const c of clients) c.close();
      haproxy.kill('SIGKILL');
      await Promise.all(gateways.map((g) => g.kill()));
    }
  }, 30_000);
});
