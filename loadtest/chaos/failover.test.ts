// Redis failover under steady traffic (issue 14): a Sentinel-managed primary, and a Redis Cluster master with a
// replica, killed with SIGKILL. Nodes follow the new primary, /readyz reports the outage, senders get
// `unavailable` meanwhile, and afterwards every SDK app has a contiguous sequence or was told (recovered:false).
// Asynchronous replication may lose what the dead primary had not copied: that is measured, never silent.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect, type ChorusClient } from '../../packages/client/src/node.js';
import type { MessageFrame } from '../../packages/protocol/src/index.js';
import { sleep, startNode, startRedisCluster, startSentinelSet, type NodeProcess } from '@chorus/test-kit';
import { keyedSends, record, scale } from './support.js';

const run = promisify(execFile);

/** Traffic through 2 gateways while `fault()` kills the primary; what the apps saw, and what was lost. */
const underTraffic = async (
  nodes: NodeProcess[],
  room: string,
  fault: () => Promise<void>,
  /** A lone primary down is an outage of the whole bus (unready); one master of a Cluster, of a part of it. */
  expectUnready: boolean,
) => {
  const watchers: Array<{ client: ChorusClient; seen: MessageFrame[]; recoveries: number }> = [];
  for (let i = 0; i < scale(6, 30); i++) {
    const client = connect(
      [nodes[i % 2]!.url, nodes[(i + 1) % 2]!.url],
      { user: `fw${i}` },
      {
        backoff: { baseMs: 100, maxMs: 500 },
      },
    );
    const w = { client, seen: [] as MessageFrame[], recoveries: 0 };
    client.room(room).on('message', (m) => w.seen.push(m));
    client.room(room).on('recovery', () => w.recoveries++);
    watchers.push(w);
  }
  const sender = connect(nodes[0]!.url, { user: 'fsender' }, { requestTimeoutMs: 3000 });
  try {
    await Promise.all([...watchers.map((w) => w.client.ready()), sender.ready()]);
    await Promise.all([...watchers.map((w) => w.client.room(room).join()), sender.room(room).join()]);
    const { acked, errors, stop } = keyedSends(sender, room);
    await sleep(800);
    const ackedBefore = new Map(acked);
    const downAt = Date.now();
    await fault();
    // the outage as /readyz tells it: unready, then ready again on every node
    let sawUnready = false;
    const deadline = Date.now() + 30_000;
    const ackedAtFault = acked.size;
    for (;;) {
      const statuses = await Promise.all(nodes.map(async (n) => (await fetch(`${n.http}/readyz`)).status));
      if (statuses.some((s) => s === 503)) sawUnready = true;
      const ready = statuses.every((s) => s === 200);
      if (ready && (expectUnready ? sawUnready : errors.length > 0 && acked.size > ackedAtFault)) break;
      if (Date.now() > deadline) {
        throw new Error(
          `never back: readyz ${statuses.join(',')}, ${errors.length} errors (${[...new Set(errors)].join(',')}), ` +
            `${acked.size - ackedAtFault} acked since; node log:\n${nodes[0]!.logs.slice(-12).join('\n')}`,
        );
      }
      await sleep(50);
    }
    const outageMs = Date.now() - downAt;
    const before = acked.size;
    while (acked.size < before + 20 && Date.now() < deadline) await sleep(50);
    const resumedMs = Date.now() - downAt;
    await stop();
    // every app follows the room to its newest message: its subscription moved with the primary
    const newest = Math.max(...acked.keys());
    while (watchers.some((w) => (w.seen.at(-1)?.seq ?? 0) < newest && w.recoveries === 0) && Date.now() < deadline) {
      await sleep(50);
    }
    await sleep(500);
    const history = await sender.room(room).history({ limit: 200 });
    const stored = new Map(history.map((m) => [m.seq, m.msg]));
    const lost = [...ackedBefore].filter(([seq, msg]) =>
      stored.has(seq) || seq > (history[0]?.seq ?? 0) ? stored.get(seq) !== msg : false,
    ).length;
    for (const w of watchers) {
      expect((w.seen.at(-1)?.seq ?? 0) >= newest || w.recoveries > 0, `${w.client.user} is behind`).toBe(true);
      const seqs = w.seen.map((m) => m.seq);
      const contiguous = seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
      expect(contiguous || w.recoveries > 0, `${w.client.user}: ${seqs.join(',')}`).toBe(true);
      expect(new Set(w.seen.map((m) => m.msg)).size).toBe(w.seen.length);
    }
    expect(acked.size).toBeGreaterThan(before); // traffic resumed
    expect(
      new Set(errors).size === 0 || [...new Set(errors)].every((e) => e === 'unavailable' || e === 'timeout'),
    ).toBe(true);
    return {
      sawUnready,
      outageMs,
      resumedMs,
      errors: errors.length,
      acked: acked.size,
      ackedBeforeFault: ackedBefore.size,
      lostOfAckedBeforeFault: lost,
      appsTold: watchers.filter((w) => w.recoveries > 0).length,
      apps: watchers.length,
    };
  } finally {
    for (const w of watchers) w.client.close();
    sender.close();
  }
};

describe('Redis failover under traffic', () => {
  it('Sentinel: the primary is SIGKILLed, the replica is promoted, the nodes follow it', async () => {
    await using set = await startSentinelSet('chorus');
    const nodes = await Promise.all(
      [1, 2].map((i) =>
        startNode({
          ...set.env,
          NODE_ID: `sf${i}`,
          BUS_TIMEOUT_MS: '1000',
          RATE_PER_SEC: '1000',
        }),
      ),
    );
    try {
      const r = await underTraffic(nodes, 'sentinel-room', () => set.primary.kill('SIGKILL'), true);
      expect(await set.currentPrimary()).toBe(set.replica.port);
      expect(r.sawUnready).toBe(true);
      record('failover-sentinel', { topology: 'primary + replica + 3 sentinels', ...r });
    } finally {
      await Promise.all(nodes.map((n) => n.kill()));
    }
  }, 90_000);

  it("Redis Cluster with replicas: the room's master is SIGKILLed, its replica takes over, subscriptions move", async () => {
    await using cluster = await startRedisCluster(3, 1);
    const room = 'cluster-room';
    const prefix = 'fo';
    const nodes = await Promise.all(
      [1, 2].map((i) =>
        startNode({
          NODE_ID: `cf${i}`,
          REDIS_URL: cluster.url,
          REDIS_CLUSTER: 'true',
          REDIS_PREFIX: prefix,
          BUS_TIMEOUT_MS: '1000',
          RATE_PER_SEC: '1000',
        }),
      ),
    );
    try {
      // the master that owns the room's slot
      const slot = (
        await run('redis-cli', ['-p', String(cluster.port), 'cluster', 'keyslot', `${prefix}:{r:${room}}`])
      ).stdout.trim();
      /** The port of the live master that owns the room's slot, as `askPort` sees the cluster. */
      const owner = async (askPort: number) => {
        const { stdout } = await run('redis-cli', ['-p', String(askPort), 'cluster', 'nodes']);
        const line = stdout.split('\n').find(
          (l) =>
            l.includes('master') &&
            !l.includes('fail') &&
            l
              .split(' ')
              .slice(8)
              .some((range) => {
                const [from, to] = range.split('-').map(Number);
                return Number(slot) >= from! && Number(slot) <= (to ?? from)!;
              }),
        );
        return Number(line?.split(' ')[1]?.split(':')[1]?.split('@')[0]);
      };
      const before = await owner(cluster.port);
      const victim = cluster.servers.find((s) => s.port === before)!;
      const r = await underTraffic(nodes, room, () => victim.kill('SIGKILL'), false);
      const after = await owner(cluster.ports.find((p) => p !== before)!);
      expect(after).not.toBe(before);
      record('failover-cluster', { topology: '3 masters + 3 replicas', ...r });
    } finally {
      await Promise.all(nodes.map((n) => n.kill()));
    }
  }, 90_000);
});
