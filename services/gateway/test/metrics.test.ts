// /metrics moves with real traffic, and logs never carry tokens or message bodies.
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { startCluster, TestClient, startNode } from '@chorus/test-kit';

/** Prometheus text → a sample lookup: value('chorus_errors_total{code="not_member"}'). */
const scrape = async (http: string) => {
  const res = await fetch(`${http}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const text = await res.text();
  return {
    text,
    value(series: string): number {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    },
  };
};

describe('/metrics', () => {
  it('counts connections, frames by type, deliveries, errors, closes, latency and bus round trips', async () => {
    await using cluster = await startCluster({ bus: 'redis', nodes: 2 });
    const before = await scrape(cluster.http(1));
    await using a = await TestClient.connect(cluster.url(0), { user: 'm-a' });
    await using b = await TestClient.connect(cluster.url(1), { user: 'm-b' });
    await using b2 = await TestClient.connect(cluster.url(1), { user: 'm-b2' });
    for (const c of [a, b, b2]) await c.ok({ type: 'join', room: 'metrics' });
    for (let i = 0; i < 5; i++) await a.ok({ type: 'send', room: 'metrics', body: i });
    await b.collect((f) => f.type === 'message', 5);
    await b2.collect((f) => f.type === 'message', 5);
    await a.ok({ type: 'dm', to: 'm-b', body: 'hi' });
    await b.next((f) => f.type === 'dm');
    await b.request({ type: 'leave', room: 'nowhere' });
    b.sendRaw('not json');
    await b.next((f) => f.type === 'error' && f.code === 'bad_json');

    const after = await scrape(cluster.http(1));
    expect(after.value('chorus_connections')).toBe(2);
    expect(after.value('chorus_users')).toBe(2);
    expect(after.value('chorus_rooms')).toBe(1);
    expect(after.value('chorus_bus_connected')).toBe(1);
    expect(after.value('chorus_frames_in_total{type="join"}')).toBe(2);
    expect(after.value('chorus_frames_in_total{type="invalid"}')).toBe(1);
    expect(after.value('chorus_deliveries_total{kind="room"}')).toBe(10); // 5 messages × 2 local sockets
    expect(after.value('chorus_deliveries_total{kind="dm"}')).toBe(1);
    expect(after.value('chorus_frames_out_total{type="message"}')).toBe(10);
    expect(after.value('chorus_frames_out_total{type="welcome"}')).toBe(2);
    expect(after.value('chorus_errors_total{code="not_member"}')).toBe(1);
    expect(after.value('chorus_errors_total{code="bad_json"}')).toBe(1);
    expect(after.value('chorus_publish_deliver_latency_seconds_count')).toBe(6);
    expect(after.value('chorus_publish_deliver_latency_seconds_bucket{le="+Inf"}')).toBe(6);
    expect(after.value('chorus_bus_request_duration_seconds_count{op="roomSince"}')).toBe(2);
    expect(after.value('chorus_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(before.value('chorus_connections')).toBe(0);

    const sender = await scrape(cluster.http(0));
    expect(sender.value('chorus_frames_in_total{type="send"}')).toBe(5);
    expect(sender.value('chorus_bus_request_duration_seconds_count{op="publishRoom"}')).toBe(5);
    b2.sendRaw(JSON.stringify({ type: 'echo', body: 'x'.repeat(70_000) }));
    await b2.closed;
    expect((await scrape(cluster.http(1))).value('chorus_closes_total{code="1009"}')).toBe(1);
  });
});

describe('logs', () => {
  it('are JSON with node and connection ids, and never carry tokens or message bodies', async () => {
    const secret = 'log-secret-log-secret-log-secret';
    await using node = await startNode({ JWT_SECRET: secret, LOG_LEVEL: 'trace', NODE_ID: 'log-node' });
    const token = await new SignJWT({ sub: 'logged' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(secret));
    await using c = await TestClient.connect(node.url, { token });
    await c.ok({ type: 'join', room: 'secret-room' });
    await c.ok({ type: 'send', room: 'secret-room', body: { text: 'BODY-MARKER-42' } });
    await c.ok({ type: 'dm', to: 'x', body: 'DM-MARKER-43' });
    c.sendRaw(JSON.stringify({ type: 'send', room: 'nowhere', body: 'ERR-MARKER-44', id: 'e' }));
    await c.next((f) => f.id === 'e');
    c.sendRaw(JSON.stringify({ type: 'echo', body: 'y'.repeat(70_000) }));
    await c.closed;
    await new Promise((r) => setTimeout(r, 100));
    const logs = node.logs.join('\n');
    for (const line of node.logs) expect(() => JSON.parse(line)).not.toThrow();
    expect(node.logs.every((l) => (JSON.parse(l) as { node?: string }).node === 'log-node')).toBe(true);
    for (const secretText of [token, token.split('.')[2]!, 'BODY-MARKER-42', 'DM-MARKER-43', 'ERR-MARKER-44', secret]) {
      expect(logs).not.toContain(secretText);
    }
  });
});

describe('the Grafana dashboard in deploy/', () => {
  it('only charts metrics a node really exports', async () => {
    const { readFileSync } = await import('node:fs');
    const dashboard = JSON.parse(
      readFileSync(new URL('../../../deploy/grafana/chorus.json', import.meta.url), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    await using node = await startNode();
    const { text } = await scrape(node.http);
    const exported = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]),
    );
    const charted = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/chorus_[a-z0-9_]+/g) ?? []));
    expect(charted.length).toBeGreaterThan(15);
    for (const metric of charted) {
      const base = metric.replace(/_(bucket|count|sum)$/, '');
      expect(exported.has(base) || exported.has(metric), metric).toBe(true);
    }
  });
});
