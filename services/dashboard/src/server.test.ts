// The dashboard's HTTP surface against bad input: odd targets, methods, a reader that never reads, a crowd.
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ClusterSnapshot } from './cluster-view.js';
import { loadConfig } from './config.js';
import { DashboardServer, MAX_STREAMS } from './server.js';

const TOKEN = 'dashboard-token-for-tests-0123';
const auth = { authorization: `Bearer ${TOKEN}` };

let server: DashboardServer;
let base: string;
let port: number;

beforeAll(async () => {
  server = new DashboardServer(() => true, { token: TOKEN, maxStreamsPerAddress: MAX_STREAMS });
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(() => server.close());

/** One raw HTTP/1.1 request; the status line's code. */
const raw = (request: string) =>
  new Promise<number>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let reply = '';
    socket.on('data', (chunk) => {
      reply += String(chunk);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    socket.on('error', reject);
  });

it('answers every bad request with a clear status and keeps serving', async () => {
  expect(await raw('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(400); // not a URL: must not throw
  expect(await raw('GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n')).toBe(404);
  const post = await fetch(`${base}/api/cluster`, { method: 'POST', body: 'x' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
  expect(await post.text()).toMatch(/read-only/);
  expect((await fetch(`${base}/nope`)).status).toBe(404);
  expect((await fetch(`${base}/api/stream`, { method: 'HEAD', headers: auth })).status).toBe(200); // not held open
  expect((await fetch(`${base}/api/cluster`, { headers: auth })).status).toBe(503); // no poll yet: said, not invented
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
});

it('ends a stream whose reader stopped reading, and refuses streams past MAX_STREAMS', async () => {
  // A reader that never reads: its socket's backlog grows with every snapshot until the server drops it.
  const stalled = connect(port, '127.0.0.1', () =>
    stalled.write(`GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`),
  );
  stalled.pause();
  const ended = new Promise<void>((resolve) => stalled.on('close', () => resolve()).on('error', () => resolve()));
  await new Promise((r) => setTimeout(r, 100));
  const big = { nodes: [], totals: {}, history: [], pad: 'x'.repeat(256 * 1024) } as unknown as ClusterSnapshot;
  for (let i = 0; i < 200 && !stalled.destroyed; i++) {
    server.publish(big);
    await new Promise((r) => setTimeout(r, 5));
  }
  stalled.resume(); // lets the close be seen
  await ended;

  const open = await Promise.all(
    Array.from({ length: MAX_STREAMS }, () => fetch(`${base}/api/stream`, { headers: auth }).then((res) => res)),
  );
  expect(open.every((res) => res.status === 200)).toBe(true);
  expect((await fetch(`${base}/api/stream`, { headers: auth })).status).toBe(503);
  await Promise.all(open.map((res) => res.body?.cancel()));
}, 30_000);

it('serves data only with the token (compared in constant time), and caps streams per address', async () => {
  const local = new DashboardServer(() => true, { token: TOKEN, maxStreamsPerAddress: 3 });
  await new Promise<void>((resolve) => local.server.listen(0, '127.0.0.1', resolve));
  const at = `http://127.0.0.1:${(local.server.address() as AddressInfo).port}`;
  try {
    local.publish({ nodes: [], totals: {}, history: {} } as unknown as ClusterSnapshot);
    expect((await fetch(`${at}/`)).status).toBe(200); // the page itself holds no data
    const refused: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: TOKEN },
      { authorization: 'Basic x' },
    ];
    for (const headers of refused) {
      expect((await fetch(`${at}/api/cluster`, { headers })).status).toBe(401);
      expect((await fetch(`${at}/api/stream`, { headers })).status).toBe(401);
    }
    expect((await fetch(`${at}/api/cluster`, { headers: auth })).status).toBe(200);
    const streams = await Promise.all(Array.from({ length: 3 }, () => fetch(`${at}/api/stream`, { headers: auth })));
    expect(streams.map((r) => r.status)).toEqual([200, 200, 200]);
    const fourth = await fetch(`${at}/api/stream`, { headers: auth });
    expect(fourth.status).toBe(429);
    await Promise.all(streams.map((r) => r.body?.cancel()));
  } finally {
    local.close();
  }
});

it('listens on 127.0.0.1 by default and refuses to listen elsewhere without a token', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:6379' };
  expect(loadConfig(base)).toMatchObject({ HOST: '127.0.0.1', token: undefined });
  expect(() => loadConfig({ ...base, HOST: '0.0.0.0' })).toThrow(/DASHBOARD_TOKEN/);
  expect(loadConfig({ ...base, HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN }).token).toBe(TOKEN);
  expect(loadConfig({ ...base, HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN, DASHBOARD_TOKEN: `${TOKEN}x` }).token).toBe(
    `${TOKEN}x`,
  );
});

it('takes the gateways’ Redis settings, and names what is missing or malformed', () => {
  expect(() => loadConfig({})).toThrow(/REDIS_URL or REDIS_SENTINELS is required/);
  expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
  expect(() => loadConfig({ REDIS_SENTINELS: 'no-port' })).toThrow(/REDIS_SENTINELS: must be host:port/);
  expect(() => loadConfig({ REDIS_SENTINELS: 'a:1' })).toThrow(/REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS/);
  expect(() => loadConfig({ REDIS_CLUSTER: 'true' })).toThrow(/REDIS_URL: is required with REDIS_CLUSTER/);
  expect(loadConfig({ REDIS_SENTINELS: 'a:1,b:2', REDIS_SENTINEL_NAME: 'm', REDIS_PREFIX: 'p' }).redis).toMatchObject({
    sentinels: [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ],
    sentinelName: 'm',
    prefix: 'p',
  });
});

it('forwards only the admin routes, with the caller token, and refuses bad requests clearly', async () => {
  const seen: Array<{ method: string; url: string; auth: string; body: string }> = [];
  const gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += String(c)));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"closed":2}');
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  const gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  const withGateway = new DashboardServer(() => true, { token: TOKEN, maxStreamsPerAddress: 3, gatewayUrl });
  const without = new DashboardServer(() => true, { token: TOKEN, maxStreamsPerAddress: 3 });
  await Promise.all([withGateway, without].map((s) => new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r))));
  const at = (s: DashboardServer) => `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  try {
    const ban = await fetch(`${at(withGateway)}/api/admin/ban`, {
      method: 'POST',
      headers: auth,
      body: '{"user":"x","seconds":5}',
    });
    expect(ban.status).toBe(200);
    expect(seen).toEqual([
      { method: 'POST', url: '/api/ban', auth: `Bearer ${TOKEN}`, body: '{"user":"x","seconds":5}' },
    ]);
    expect((await fetch(`${at(withGateway)}/api/admin/rooms?limit=3`, { headers: auth })).status).toBe(200);
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/api/rooms?limit=3' });
    const refusals: Array<[string, RequestInit, number]> = [
      ['/api/admin/ban', { method: 'POST', body: '{}' }, 401], // no token
      ['/api/admin/ban', { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '{}' }, 401],
      ['/api/admin/publish', { method: 'POST', headers: auth, body: '{}' }, 404], // not an admin route
      ['/api/admin/ban', { method: 'GET', headers: auth }, 404], // wrong method
      ['/api/admin/users/a/b', { headers: auth }, 404],
      ['/api/admin/ban', { method: 'POST', headers: auth, body: 'x'.repeat(70_000) }, 413],
    ];
    for (const [path, init, status] of refusals) {
      const res = await fetch(`${at(withGateway)}${path}`, init);
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(status);
      expect(await res.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    }
    expect(seen).toHaveLength(2); // nothing refused reached the gateway
    const off = await fetch(`${at(without)}/api/admin/rooms`, { headers: auth });
    expect(off.status).toBe(503);
    expect(await off.json()).toMatchObject({ message: expect.stringMatching(/GATEWAY_URL/) });
    gateway.close();
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`${at(withGateway)}/api/admin/rooms`, { headers: auth })).status).toBe(502); // gateway gone
    expect((await fetch(`${at(withGateway)}/healthz`)).status).toBe(200); // and the dashboard still up
  } finally {
    gateway.close();
    withGateway.close();
    without.close();
  }
});
