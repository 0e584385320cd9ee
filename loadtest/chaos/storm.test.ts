// Fault 6: a connection storm — N connections opened and joined as fast as the generator can, over 2 nodes.
// All get `welcome`; no node fails; memory per connection is recorded.
import { expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCluster } from '@chorus/test-kit';
import { record, scale } from './support.js';

const N = scale(2000, 10_000);

const rss = async (http: string) => {
  const text = await (await fetch(`${http}/metrics`)).text();
  return Number(/^chorus_process_resident_memory_bytes (\d+)/m.exec(text)![1]);
};

it(`${N} connections opened and joined at once: every one welcomed, no node fails`, async () => {
  await using cluster = await startCluster({ bus: 'redis', nodes: 2, env: { MAX_CONNECTIONS_PER_USER: '100000' } });
  const before = await Promise.all([0, 1].map((i) => rss(cluster.http(i))));
  const sockets: WebSocket[] = [];
  let welcomed = 0;
  let joined = 0;
  let failed = 0;
  const t0 = Date.now();
  await new Promise<void>((resolve) => {
    let settled = 0;
    const done = () => ++settled === N && resolve();
    for (let i = 0; i < N; i++) {
      const ws = new WebSocket(`${cluster.url(i % 2)}?user=storm${i}`, { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('message', (data) => {
        const text = String(data);
        if (text.startsWith('{"type":"welcome"')) {
          welcomed++;
          ws.send(JSON.stringify({ type: 'join', room: `storm-${i % 50}`, id: 'j' }));
        } else if (text.startsWith('{"type":"ack","id":"j"')) {
          joined++;
          done();
        }
      });
      ws.on('error', () => {
        failed++;
        done();
      });
    }
  });
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1000));
  const after = await Promise.all([0, 1].map((i) => rss(cluster.http(i))));
  const stats = (await Promise.all(
    [0, 1].map(async (i) => (await fetch(`${cluster.http(i)}/stats`)).json()),
  )) as Array<{ connections: number }>;
  for (const ws of sockets) ws.terminate();
  expect(failed).toBe(0);
  expect(welcomed).toBe(N);
  expect(joined).toBe(N);
  expect(stats[0]!.connections + stats[1]!.connections).toBe(N);
  const perConnection = Math.round((after[0]! + after[1]! - before[0]! - before[1]!) / N);
  record('storm', {
    connections: N,
    seconds,
    connectionsPerSec: Math.round(N / seconds),
    rssPerConnectionBytes: perConnection,
    failed,
  });
}, 120_000);
