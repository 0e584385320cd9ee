// What the audit (issue 16) tried and found holding: regression tests, so it keeps holding.
import { createServer } from 'node:http';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { CLIENT_FRAME_TYPES } from '@chorus/protocol';
import { TestClient, sleep, launchBrowser, startNode } from '@chorus/test-kit';

const secret = 'held-test-secret-long-enough-for-hs256';
const status = (url: string, options: Parameters<typeof TestClient.connect>[1]) =>
  TestClient.connect(url, options).then(
    (c) => {
      c.close();
      return 101;
    },
    (e: { status: number }) => e.status,
  );

describe('tokens', () => {
  it('refuses algorithm confusion, and never follows a jku or an unknown kid to a key it was not given', async () => {
    const real = await generateKeyPair('RS256');
    const attacker = await generateKeyPair('RS256');
    const keys = [{ ...(await exportJWK(real.publicKey)), kid: 'real', alg: 'RS256' }];
    let attackerHits = 0;
    const idp = createServer((_req, res) =>
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys })),
    );
    const evil = createServer((_req, res) => {
      attackerHits++;
      res.end('{"keys":[]}');
    });
    await Promise.all([idp, evil].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    const portOf = (s: typeof idp) => (s.address() as { port: number }).port;
    try {
      await using node = await startNode({
        JWT_SECRET: secret,
        JWKS_URL: `http://127.0.0.1:${portOf(idp)}/jwks.json`,
      });
      const valid = await new SignJWT({ sub: 'ok' })
        .setProtectedHeader({ alg: 'RS256', kid: 'real' })
        .setExpirationTime('1m')
        .sign(real.privateKey);
      expect(await status(node.url, { token: valid })).toBe(101);
      // HS256 "signed" with the public key as the secret: the classic confusion
      const pem = await exportSPKI(real.publicKey);
      const confused = await new SignJWT({ sub: 'eve' })
        .setProtectedHeader({ alg: 'HS256', kid: 'real' })
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode(pem));
      // the attacker's own key, announced in the header
      const jku = await new SignJWT({ sub: 'eve' })
        .setProtectedHeader({ alg: 'RS256', kid: 'evil', jku: `http://127.0.0.1:${portOf(evil)}/jwks.json` })
        .setExpirationTime('1m')
        .sign(attacker.privateKey);
      const jwk = await new SignJWT({ sub: 'eve' })
        .setProtectedHeader({ alg: 'RS256', kid: 'real', jwk: await exportJWK(attacker.publicKey) })
        .setExpirationTime('1m')
        .sign(attacker.privateKey);
      const unknownKid = await new SignJWT({ sub: 'eve' })
        .setProtectedHeader({ alg: 'RS256', kid: '../../etc/passwd' })
        .setExpirationTime('1m')
        .sign(attacker.privateKey);
      for (const token of [confused, jku, jwk, unknownKid]) expect(await status(node.url, { token })).toBe(401);
      expect(attackerHits).toBe(0);
    } finally {
      idp.close();
      evil.close();
    }
  });
});

describe('origins, the admin API, metrics and per-user limits', () => {
  it('matches origins exactly', async () => {
    await using node = await startNode({ ALLOWED_ORIGINS: 'https://chat.example.com' });
    expect(await status(node.url, { user: 'a', headers: { origin: 'https://chat.example.com' } })).toBe(101);
    for (const origin of [
      'https://chat.example.com.evil.com',
      'https://evilchat.example.com',
      'http://chat.example.com',
      'https://chat.example.com:8443',
      'https://chat.example.com/',
      'null',
    ]) {
      expect(await status(node.url, { user: 'a', headers: { origin } }), origin).toBe(403);
    }
  });

  it('bounds admin API bodies, and keeps metric labels to a closed set whatever clients send', async () => {
    const ADMIN_TOKEN = 'held-admin-token-0123456789';
    await using node = await startNode({ ADMIN_TOKEN, MAX_FRAME_BYTES: '4096', MAX_BODY_BYTES: '1024' });
    const publish = (body: string) =>
      fetch(`${node.http}/api/publish`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });
    expect((await publish('x'.repeat(1 << 20))).status).toBe(413);
    expect((await publish(JSON.stringify({ room: 'r', body: 'y'.repeat(2_000) }))).status).toBe(400);
    expect((await publish(JSON.stringify({ room: 'r', body: 'ok' }))).status).toBe(200);
    await using c = await TestClient.connect(node.url, { user: 'labels' });
    // 15 made-up frame types (below the 20 bad frames that close the socket), each answered bad_frame
    for (let i = 0; i < 15; i++) c.sendRaw(JSON.stringify({ type: `made-up-${i}`, id: `x${i}` }));
    await c.collect((f) => f.type === 'error' && f.code === 'bad_frame', 15);
    const metrics = await (await fetch(`${node.http}/metrics`)).text();
    const types = new Set([...metrics.matchAll(/chorus_frames_in_total\{type="([^"]*)"\}/g)].map((m) => m[1]));
    expect(types.has('invalid')).toBe(true);
    for (const type of types) expect(['invalid', ...CLIENT_FRAME_TYPES]).toContain(type);
  });

  it('holds MAX_CONNECTIONS_PER_USER under a burst of concurrent upgrades', async () => {
    await using node = await startNode({ MAX_CONNECTIONS_PER_USER: '3' });
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => TestClient.connect(node.url, { user: 'burst' })),
    );
    const open = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(open.length).toBeLessThanOrEqual(3);
    expect(open.length).toBeGreaterThan(0);
    for (const c of open) c.close();
  });

  it('keeps 300 JWT connections open after welcome (the audit saw 3 cut at once; it was the expiry overflow)', async () => {
    await using node = await startNode({ JWT_SECRET: secret });
    const exp = Math.floor(Date.now() / 1000);
    const tokens = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        new SignJWT({ sub: `j${i}` })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(exp + [60, 3_600, 30 * 86_400, 365 * 86_400][i % 4]!)
          .sign(new TextEncoder().encode(secret)),
      ),
    );
    const clients = await Promise.all(tokens.map((token) => TestClient.connect(node.url, { token })));
    const closes: number[] = [];
    for (const c of clients) void c.closed.then(({ code }) => closes.push(code));
    await sleep(1_000);
    expect(closes).toEqual([]);
    for (const c of clients) c.close();
  }, 60_000);
});

describe('the test page', () => {
  it('shows hostile bodies and names as text, never as markup', async () => {
    await using node = await startNode({});
    await using browser = await launchBrowser();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(node.http);
    await page.fill('#user', 'victim');
    await page.click('#connect');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('connected as victim'));
    await page.fill('#room', 'xss');
    await page.click('#join');
    await page.waitForFunction(() => document.querySelector('#rooms')?.textContent?.includes('xss'));
    await using attacker = await TestClient.connect(node.url, {
      user: 'attacker',
      name: '<img src=x onerror="window.__pwned=1">',
    });
    await attacker.ok({ type: 'join', room: 'xss' });
    await attacker.ok({
      type: 'send',
      room: 'xss',
      body: '<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3">',
    });
    await page.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('window.__pwned=2'));
    await sleep(200);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#log img, #members img, #log script').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('invalid UTF-8 (a documented deviation: 1006, not 1007)', () => {
  it('cuts only the offending socket: the client sees 1006, everyone else carries on', async () => {
    await using node = await startNode({});
    await using bystander = await TestClient.connect(node.url, { user: 'bystander' });
    await using offender = await TestClient.connect(node.url, { user: 'offender' });
    // a text frame whose payload is not UTF-8: uWebSockets.js v20.30 checks it in C++ and drops the connection
    // before any JavaScript runs, so no close frame (1007) can be sent; see docs/protocol.md
    offender.sendRaw(Buffer.from([0x7b, 0xc3, 0x28, 0xa0, 0xa1, 0x7d]));
    expect((await offender.closed).code).toBe(1006);
    expect((await bystander.request({ type: 'ping' })).type).toBe('pong');
    expect((await fetch(`${node.http}/healthz`)).status).toBe(200);
  });
});
