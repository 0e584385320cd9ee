// PROTOCOL.md §10.6: a handshake the client abandons at any point frees its place under MAX_CONNECTIONS.
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { expect, it } from 'vitest';
import { TestClient, sleep, startNode } from '@chorus/test-kit';

/** Send an upgrade request and return the socket without waiting for any answer (`answer` collects it). */
const upgradeRequest = (port: number, path: string, connection = 'Upgrade'): Promise<Socket & { answer: string }> =>
  new Promise((resolve, reject) => {
    const socket = Object.assign(
      connect(port, '127.0.0.1', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: ${connection}\r\n` +
            `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        resolve(socket);
      }),
      { answer: '' },
    );
    socket.on('data', (chunk: Buffer) => (socket.answer += chunk.toString('latin1')));
    socket.on('error', reject);
  });

it('handshakes abandoned while the token is being verified do not hold MAX_CONNECTIONS', async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const keys = [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'RS256' }];
  // A slow identity provider: verification of the first tokens waits 600 ms for the key set.
  const jwks = createServer((_req, res) => {
    setTimeout(() => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys })), 600);
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  try {
    const { port: jwksPort } = jwks.address() as { port: number };
    const token = (sub: string) =>
      new SignJWT({ sub }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setExpirationTime('5m').sign(privateKey);
    // Each node fetches the key set on its first token, so the first handshakes wait 600 ms in verification.
    const startSlowNode = () => startNode({ JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks.json`, MAX_CONNECTIONS: '5' });
    {
      await using node = await startSlowNode();
      const abandoned = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => upgradeRequest(node.port, `/ws?token=${await token(`gone${i}`)}`)),
      );
      await sleep(100);
      for (const socket of abandoned) socket.destroy(); // mid-verification
      await sleep(1_000);
      const clients = await Promise.all(
        Array.from({ length: 5 }, async (_, i) => TestClient.connect(node.url, { token: await token(`real${i}`) })),
      );
      expect(clients.map((c) => c.frames[0]!.type)).toEqual(Array(5).fill('welcome'));
      for (const c of clients) c.close();
    }
    {
      // Six handshakes in verification at once for five places: upgrades in progress count, so one is refused
      await using node = await startSlowNode();
      const held = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => upgradeRequest(node.port, `/ws?token=${await token(`held${i}`)}`)),
      );
      await sleep(1_000);
      expect(held.map((socket) => socket.answer.split(' ')[1]).sort()).toEqual([
        '101',
        '101',
        '101',
        '101',
        '101',
        '503',
      ]);
      for (const socket of held) socket.destroy();
    }
  } finally {
    jwks.close();
  }
});

it('an upgrade without Connection: Upgrade is refused with 400 and its reason, not opened and dropped', async () => {
  // uWS.js 20.30 flags a 5-character Connection value as "close", then shuts down the socket it has just
  // upgraded: the client read 101 and welcome, then a FIN (the flaky 1006 of the suites had the same cause).
  await using node = await startNode();
  const closing = await upgradeRequest(node.port, '/ws?user=a', 'close');
  const keepAlive = await upgradeRequest(node.port, '/ws?user=b', 'keep-alive');
  const firefox = await upgradeRequest(node.port, '/ws?user=c', 'keep-alive, Upgrade');
  await sleep(300);
  for (const refused of [closing, keepAlive]) {
    expect(refused.answer).toMatch(/^HTTP\/1\.1 400 .*\r\n\r\n.*Connection: Upgrade/s);
    expect(refused.answer).not.toContain('welcome');
  }
  expect(firefox.answer).toMatch(/^HTTP\/1\.1 101 /);
  expect(firefox.answer).toContain('"welcome"');
  expect(firefox.destroyed || firefox.readableEnded).toBe(false);
  for (const socket of [closing, keepAlive, firefox]) socket.destroy();
});
