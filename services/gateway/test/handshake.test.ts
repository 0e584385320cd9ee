// PROTOCOL.md §10.6: a handshake the client abandons at any point frees its place under MAX_CONNECTIONS.
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { expect, it } from 'vitest';
import { TestClient, sleep } from './support/client.js';
import { startNode } from './support/processes.js';

/** Send an upgrade request and return the socket without waiting for any answer. */
const upgradeRequest = (port: number, path: string): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      resolve(socket);
    });
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
    await using node = await startNode({ JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks.json`, MAX_CONNECTIONS: '5' });
    const token = (sub: string) =>
      new SignJWT({ sub }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setExpirationTime('5m').sign(privateKey);
    // 5 handshakes in verification fill the node: a sixth is refused while they are in progress
    const held = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => upgradeRequest(node.port, `/ws?token=${await token(`held${i}`)}`)),
    );
    await sleep(150);
    const refused = await TestClient.connect(node.url, { token: await token('late') }).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(refused).toBe(503);
    // ... and abandoning them (before the key set arrives) frees every place
    for (const socket of held) socket.destroy();
    const abandoned = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => upgradeRequest(node.port, `/ws?token=${await token(`gone${i}`)}`)),
    );
    for (const socket of abandoned) socket.destroy();
    await sleep(1_000);
    const clients = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => TestClient.connect(node.url, { token: await token(`real${i}`) })),
    );
    expect(clients.map((c) => c.frames[0]!.type)).toEqual(Array(5).fill('welcome'));
    for (const c of clients) c.close();
  } finally {
    jwks.close();
  }
});
