// COMPRESSION=shared|dedicated: permessage-deflate for the clients that offer it; the others, and every client
// of a node without it, get plain frames. What it saves is measured by
// loadtest/bench/compression.mjs; here, that it is negotiated only where it should be and loses nothing.
import { COMPACT_SUBPROTOCOL, SUBPROTOCOL } from '@chorus/protocol';
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, type BusKind } from '@chorus/test-kit';

// a chat-like body: words repeat, so it deflates well
const body = { text: Array.from({ length: 200 }, (_, i) => `word${i % 20} and some more`).join(' ') };
const bodyBytes = JSON.stringify(body).length;

describe.each(['memory', 'redis'] as const)('COMPRESSION (%s)', (bus: BusKind) => {
  it('shared: deflated for clients that offer it, plain for the others; the same messages to both', async () => {
    await using c = await startCluster({ bus, env: { COMPRESSION: 'shared' } });
    const last = c.nodes.length - 1;
    await using deflated = await TestClient.connect(c.url(last), { user: 'd', protocols: [COMPACT_SUBPROTOCOL] });
    await using plain = await TestClient.connect(c.url(last), { user: 'p', deflate: false, protocols: [SUBPROTOCOL] });
    await using sender = await TestClient.connect(c.url(0), { user: 's' });
    expect(deflated.ws.extensions).toContain('permessage-deflate');
    expect(plain.ws.extensions).toBe('');
    for (const client of [deflated, plain, sender]) await client.ok({ type: 'join', room: 'z' });
    const before = [deflated.bytesRead, plain.bytesRead];
    for (let i = 0; i < 10; i++) await sender.ok({ type: 'send', room: 'z', body: { ...body, i } });
    const messages = async (client: TestClient) => {
      await client.next((f) => f.type === 'message' && f.seq === 10);
      return client.frames.filter((f) => f.type === 'message').map((f) => f.body);
    };
    const expected = Array.from({ length: 10 }, (_, i) => ({ ...body, i }));
    expect(await messages(deflated)).toEqual(expected);
    expect(await messages(plain)).toEqual(expected);
    const [deflatedBytes, plainBytes] = [deflated.bytesRead - before[0]!, plain.bytesRead - before[1]!];
    expect(plainBytes).toBeGreaterThan(10 * bodyBytes);
    expect(deflatedBytes).toBeLessThan(plainBytes / 4);
  });

  it('dedicated: a window per socket, so repeated text across messages deflates further', async () => {
    await using c = await startCluster({ bus, nodes: 1, env: { COMPRESSION: 'dedicated' } });
    await using client = await TestClient.connect(c.url(0), { user: 'x' });
    expect(client.ws.extensions).toContain('permessage-deflate');
    await client.ok({ type: 'join', room: 'z' });
    const before = client.bytesRead;
    for (let i = 0; i < 10; i++) await client.ok({ type: 'send', room: 'z', body: { ...body, i } });
    await client.next((f) => f.type === 'message' && f.seq === 10);
    expect(client.frames.filter((f) => f.type === 'message').map((f) => f.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => ({ ...body, i })),
    );
    expect(client.bytesRead - before).toBeLessThan(bodyBytes * 2); // ten bodies, in less than two bodies' bytes
  });

  it('off (the default): never negotiated, even when offered', async () => {
    await using c = await startCluster({ bus, nodes: 1 });
    await using client = await TestClient.connect(c.url(0), { user: 'x' });
    expect(client.ws.extensions).toBe('');
    await client.ok({ type: 'join', room: 'z' });
    await client.ok({ type: 'send', room: 'z', body });
    expect((await client.next((f) => f.type === 'message')).body).toEqual(body);
  });
});
