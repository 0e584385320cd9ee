// The upgrade (PROTOCOL.md §1): 426/403/401/503 in order, subprotocol selection, dev and JWT identity, expiry.
import { createServer, type Server } from 'node:http';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, TestClient, type NodeProcess } from '@chorus/test-kit';

const reject = async (url: string, options: Parameters<typeof TestClient.connect>[1]) => {
  try {
    await TestClient.connect(url, options);
  } catch (err) {
    return err as { status: number; body: string };
  }
  throw new Error('upgrade was accepted');
};

describe('upgrade in dev mode', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await startNode({
      ALLOWED_ORIGINS: 'https://chat.example.com, https://other.example',
      MAX_CONNECTIONS: '2',
    });
  });
  afterAll(() => node?.kill());

  it('answers a plain GET /ws with 426 and a reason', async () => {
    const res = await fetch(`${node.http}/ws`);
    expect(res.status).toBe(426);
    expect((await res.text()).trim().length).toBeGreaterThan(0);
  });
  it('refuses an origin not listed with 403, before looking at credentials', async () => {
    const err = await reject(node.url, { headers: { origin: 'https://evil.example' } });
    expect(err.status).toBe(403);
    expect(err.body).toMatch(/origin/);
  });
  it('accepts a listed origin, and a request without Origin', async () => {
    await using a = await TestClient.connect(node.url, { user: 'a', headers: { origin: 'https://chat.example.com' } });
    await using b = await TestClient.connect(node.url, { user: 'b' });
    expect(a.frames[0]!.type).toBe('welcome');
    expect(b.frames[0]!.type).toBe('welcome');
  });
  it('refuses missing or invalid user ids and names with 401', async () => {
    expect((await reject(node.url, {})).status).toBe(401);
    expect((await reject(node.url, { user: '-bad' })).status).toBe(401);
    expect((await reject(node.url, { user: 'x'.repeat(65) })).status).toBe(401);
    expect((await reject(node.url, { user: 'ok', name: 'a\u0001b' })).status).toBe(401);
  });
  it('checks credentials before capacity: 401 beats 503', async () => {
    await using a = await TestClient.connect(node.url, { user: 'a' });
    await using _b = await TestClient.connect(node.url, { user: 'b' });
    expect((await reject(node.url, {})).status).toBe(401);
    const full = await reject(node.url, { user: 'c' });
    expect(full.status).toBe(503);
    expect(full.body).toMatch(/MAX_CONNECTIONS/);
    a.close();
    await a.closed;
    await new Promise((r) => setTimeout(r, 50));
    await using c = await TestClient.connect(node.url, { user: 'c' });
    expect(c.frames[0]!.type).toBe('welcome');
  });
  it('selects chorus.v1 when offered, and none otherwise', async () => {
    await using a = await TestClient.connect(node.url, { user: 'a', protocols: ['other', 'chorus.v1'] });
    expect(a.ws.protocol).toBe('chorus.v1');
    await using b = await TestClient.connect(node.url, { user: 'b' });
    expect(b.ws.protocol).toBe('');
  });
});

describe('upgrade in jwt mode', () => {
  const secret = 'test-secret-that-is-long-enough-for-hs256';
  let node: NodeProcess;
  let jwks: Server;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;
  const now = () => Math.floor(Date.now() / 1000);
  const hs = (claims: Record<string, unknown>, exp = now() + 60) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    const keys = [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa', alg: 'RS256' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec', alg: 'ES256' },
    ];
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const { port } = jwks.address() as { port: number };
    node = await startNode({ JWT_SECRET: secret, JWKS_URL: `http://127.0.0.1:${port}/jwks.json` });
  });
  afterAll(async () => {
    await node?.kill();
    jwks?.close();
  });

  it('accepts HS256 with sub and name; the rooms claim limits join, send, history and presence', async () => {
    const token = await hs({ sub: 'alice', name: 'Alice A.', rooms: ['team:*', 'lobby'] });
    await using c = await TestClient.connect(node.url, { token });
    expect(c.frames[0]).toMatchObject({ user: 'alice', name: 'Alice A.' });
    await c.ok({ type: 'join', room: 'lobby' });
    await c.ok({ type: 'join', room: 'team:' });
    await c.ok({ type: 'join', room: 'team:a.b:c' });
    for (const frame of [
      { type: 'join', room: 'lobby2' },
      { type: 'send', room: 'secret', body: 1 },
      { type: 'history', room: 'secret' },
      { type: 'presence', room: 'secret' },
    ]) {
      expect(await c.request(frame)).toMatchObject({ type: 'error', code: 'forbidden' });
    }
  });
  it('accepts RS256 and ES256 tokens verified against the JWKS', async () => {
    for (const [alg, key, kid] of [
      ['RS256', rsa.privateKey, 'rsa'],
      ['ES256', ec.privateKey, 'ec'],
    ] as const) {
      const token = await new SignJWT({ sub: `u-${alg}` })
        .setProtectedHeader({ alg, kid })
        .setExpirationTime('1m')
        .sign(key);
      await using c = await TestClient.connect(node.url, { token });
      expect(c.frames[0]).toMatchObject({ user: `u-${alg}`, name: `u-${alg}` });
    }
  });
  it('refuses alg none, a bad signature, an expired token, a bad sub, a missing token: 401', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'eve', exp: now() + 60 })).toString('base64url')}.`;
    const forged = (await hs({ sub: 'eve' })).slice(0, -3) + 'AAA';
    const wrongKey = await new SignJWT({ sub: 'eve' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('another-secret-another-secret-xx'));
    for (const token of [unsigned, forged, wrongKey, await hs({ sub: 'eve' }, now() - 10), await hs({ sub: '-no' })]) {
      expect((await reject(node.url, { token })).status).toBe(401);
    }
    expect((await reject(node.url, { user: 'alice' })).status).toBe(401); // dev identity is not accepted
  });
  it('closes with 4001 when exp passes while connected', async () => {
    const token = await hs({ sub: 'shortlived' }, now() + 2);
    await using c = await TestClient.connect(node.url, { token });
    const started = Date.now();
    const { code } = await c.closed;
    expect(code).toBe(4001);
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
