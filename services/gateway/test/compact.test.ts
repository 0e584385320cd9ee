// The compact encoding (PROTOCOL.md §10.7, docs/protocol.md) on one node and on 3 nodes over Redis: the
// subprotocol negotiation, both kinds of client in one room, replay and history, and the bytes it saves.
import { COMPACT_SUBPROTOCOL, SUBPROTOCOL } from '@chorus/protocol';
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, type BusKind } from '@chorus/test-kit';

const compact = [COMPACT_SUBPROTOCOL, SUBPROTOCOL];

describe.each(['memory', 'redis'] as const)('the compact encoding (%s)', (bus: BusKind) => {
  it('is selected when offered, in any order; v1 when only v1 is offered', async () => {
    await using c = await startCluster({ bus, nodes: 1 });
    await using a = await TestClient.connect(c.url(0), { user: 'a', protocols: compact });
    await using b = await TestClient.connect(c.url(0), { user: 'b', protocols: [SUBPROTOCOL, COMPACT_SUBPROTOCOL] });
    await using v1 = await TestClient.connect(c.url(0), { user: 'v1', protocols: [SUBPROTOCOL] });
    expect([a.ws.protocol, b.ws.protocol, v1.ws.protocol]).toEqual([
      COMPACT_SUBPROTOCOL,
      COMPACT_SUBPROTOCOL,
      SUBPROTOCOL,
    ]);
  });

  it('compact and v1 clients share a room across nodes: the same messages, each in its encoding', async () => {
    await using c = await startCluster({ bus });
    const last = c.nodes.length - 1;
    await using sender = await TestClient.connect(c.url(0), { user: 'sender', name: 'Sender', protocols: compact });
    await using small = await TestClient.connect(c.url(last), { user: 'small', protocols: compact });
    await using plain = await TestClient.connect(c.url(last), { user: 'plain', protocols: [SUBPROTOCOL] });
    for (const client of [sender, small, plain]) await client.ok({ type: 'join', room: 'mixed' });
    const body = { text: 'héllo "quoted" \\ ✓', n: [1, 2.5, null, true] };
    await sender.ok({ type: 'send', room: 'mixed', body });
    await sender.ok({ type: 'send', room: 'mixed', body: 'second' });
    const got = async (client: TestClient) => {
      await client.next((f) => f.type === 'message' && f.seq === 2);
      return client.frames.filter((f) => f.type === 'message');
    };
    const [toSender, toSmall, toPlain] = await Promise.all([got(sender), got(small), got(plain)]);
    // the same frames, value for value
    expect(toSmall).toEqual(toPlain);
    expect(toSender).toEqual(toPlain);
    expect(toPlain[0]).toMatchObject({ room: 'mixed', seq: 1, from: 'sender', name: 'Sender', body });
    // on the wire: arrays for the compact client, the v1 object for the other, and events alike for both
    const wire = (client: TestClient) =>
      client.raw.filter((t) => t.startsWith('[') || t.startsWith('{"type":"message"'));
    const [compactWire, plainWire] = [wire(small), wire(plain)];
    expect(compactWire.every((t) => t.startsWith('["mixed",'))).toBe(true);
    expect(plainWire.every((t) => t.startsWith('{"type":"message"'))).toBe(true);
    expect(compactWire[0]!.length).toBeLessThan(plainWire[0]!.length - 60);
  });

  it('a compact client resuming with since gets the replay compact; history stays v1', async () => {
    await using c = await startCluster({ bus });
    await using sender = await TestClient.connect(c.url(0), { user: 'sender' });
    const { epoch } = await sender.ok({ type: 'join', room: 'replay' });
    for (let i = 1; i <= 3; i++) await sender.ok({ type: 'send', room: 'replay', body: i });
    await using late = await TestClient.connect(c.url(c.nodes.length - 1), { user: 'late', protocols: compact });
    expect(await late.ok({ type: 'join', room: 'replay', since: 1, epoch })).toMatchObject({ recovered: true });
    await late.next((f) => f.type === 'message' && f.seq === 3);
    expect(late.raw.filter((t) => t.startsWith('[')).map((t) => (JSON.parse(t) as unknown[])[1])).toEqual([2, 3]);
    const history = await late.ok({ type: 'history', room: 'replay' });
    expect(history.messages).toHaveLength(3);
    expect(late.raw.at(-1)!.startsWith('{"type":"history"')).toBe(true);
  });
});
