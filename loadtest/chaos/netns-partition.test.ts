// Real network partitions (issue 14): hosts of their own in network namespaces, cut with nftables DROP rules, so
// packets vanish silently as on a real network (no RST, no refusal). A gateway cut from Redis turns unready,
// refuses sends, and catches up when the link heals; a client cut from its gateway is found by the heartbeat
// (the server cuts the half-open socket within 2 × HEARTBEAT_MS) and resumes on another node with every message.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect, type ChorusClient } from '../../packages/client/src/node.js';
import type { MessageFrame } from '../../packages/protocol/src/index.js';
import { TestClient, sleep, createNetns, startNode, startRedis, startRedisCluster, until } from '@chorus/test-kit';
import { record } from './support.js';

const run = promisify(execFile);

const status = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(500) })).status;

describe('network partitions in namespaces', () => {
  it('a gateway cut from Redis: unready, sends refused, every member caught up after the heal', async () => {
    await using ns = await createNetns();
    await using redis = await startRedis(['--bind', '127.0.0.1', ns.hostAddress, '--protected-mode', 'no']);
    await using cut = await startNode(
      {
        NODE_ID: 'cut',
        HOST: ns.address,
        REDIS_URL: `redis://${ns.hostAddress}:${redis.port}`,
        BUS_TIMEOUT_MS: '1000',
      },
      ns.name,
    );
    await using healthy = await startNode({ NODE_ID: 'healthy', REDIS_URL: redis.url, BUS_TIMEOUT_MS: '1000' });
    const room = 'partitioned';
    const apps: Array<{ client: ChorusClient; seen: MessageFrame[]; told: number }> = [];
    for (let i = 0; i < 5; i++) {
      const client = connect(cut.url, { user: `member${i}` }, { backoff: { baseMs: 100, maxMs: 500 } });
      const app = { client, seen: [] as MessageFrame[], told: 0 };
      client.room(room).on('message', (m) => app.seen.push(m));
      client.room(room).on('recovery', () => app.told++);
      apps.push(app);
    }
    await Promise.all(apps.map((a) => a.client.ready()));
    await Promise.all(apps.map((a) => a.client.room(room).join()));
    await using probe = await TestClient.connect(cut.url, { user: 'probe' });
    await probe.ok({ type: 'join', room });
    await using sender = await TestClient.connect(healthy.url, { user: 'sender' });
    await sender.ok({ type: 'join', room });
    let n = 0;
    const traffic = setInterval(() => sender.sendRaw(JSON.stringify({ type: 'send', room, body: n++ })), 20);
    try {
      await sleep(500);
      const cutAt = Date.now();
      await ns.partition(redis.port);
      await until('the cut node to turn unready', async () => (await status(`${cut.http}/readyz`)) === 503, 10_000);
      const unreadyAfterMs = Date.now() - cutAt;
      expect(await probe.request({ type: 'send', room, body: 'during' }, 5_000)).toMatchObject({ code: 'unavailable' });
      expect(await status(`${healthy.http}/readyz`)).toBe(200);
      await sleep(2_000);
      const healAt = Date.now();
      await ns.heal();
      await until('the cut node to be ready again', async () => (await status(`${cut.http}/readyz`)) === 200, 15_000);
      const readyAfterHealMs = Date.now() - healAt;
      await sleep(500);
      clearInterval(traffic);
      const latest = ((await sender.ok({ type: 'history', room, limit: 1 })).messages as MessageFrame[])[0]!.seq;
      await until(
        'every member to reach the latest message',
        () => apps.every((a) => (a.seen.at(-1)?.seq ?? 0) >= latest),
        15_000,
      );
      for (const a of apps) {
        const seqs = a.seen.map((m) => m.seq);
        const contiguous = seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
        expect(contiguous || a.told > 0, seqs.join(',')).toBe(true);
        expect(new Set(seqs).size).toBe(seqs.length);
      }
      record('netns-gateway-cut-from-redis', {
        unreadyAfterMs,
        readyAfterHealMs,
        messages: latest,
        appsTold: apps.filter((a) => a.told > 0).length,
        lostOrDuplicated: 0,
      });
    } finally {
      clearInterval(traffic);
      for (const a of apps) a.client.close();
    }
  }, 90_000);

  it('a client cut from its gateway: the half-open socket is cut by the heartbeat, the client resumes elsewhere', async () => {
    const HEARTBEAT_MS = 1_000;
    await using ns = await createNetns();
    await using redis = await startRedis(['--bind', '127.0.0.1', ns.hostAddress, '--protected-mode', 'no']);
    await using far = await startNode(
      {
        NODE_ID: 'far',
        HOST: ns.address,
        REDIS_URL: `redis://${ns.hostAddress}:${redis.port}`,
        HEARTBEAT_MS: String(HEARTBEAT_MS),
        LOG_LEVEL: 'debug',
      },
      ns.name,
    );
    await using near = await startNode({ NODE_ID: 'near', REDIS_URL: redis.url, HEARTBEAT_MS: String(HEARTBEAT_MS) });
    const room = 'half-open';
    const seen: MessageFrame[] = [];
    const client = connect([far.url, near.url], { user: 'traveller' }, { backoff: { baseMs: 100, maxMs: 500 } });
    client.room(room).on('message', (m) => seen.push(m));
    let resumedAt = 0;
    client.on('state', (s) => {
      if (s.to === 'connected' && s.from === 'reconnecting') resumedAt = Date.now();
    });
    await using publisher = await TestClient.connect(near.url, { user: 'publisher' });
    await publisher.ok({ type: 'join', room });
    let n = 0;
    const traffic = setInterval(() => publisher.sendRaw(JSON.stringify({ type: 'send', room, body: n++ })), 50);
    try {
      await client.ready();
      await client.room(room).join();
      expect(client.node).toBe('far');
      await sleep(500);
      const cutAt = Date.now();
      await ns.isolatePort(far.port);
      // the server side: the socket is cut (1006) once silent for two heartbeats
      await until(
        'the far node to cut the half-open socket',
        () => far.logs.some((l) => l.includes('"msg":"disconnected"') && l.includes('traveller')),
        10_000,
      );
      const line = far.logs.find((l) => l.includes('"msg":"disconnected"') && l.includes('traveller'))!;
      const serverCutMs = (JSON.parse(line) as { time: number }).time - cutAt;
      // the client side: its liveness check gives up on the silent server and moves to the next url
      await until('the client to resume on the near node', () => resumedAt > 0 && client.node === 'near', 20_000);
      const clientResumedMs = resumedAt - cutAt;
      await sleep(500);
      clearInterval(traffic);
      const latest = ((await publisher.ok({ type: 'history', room, limit: 1 })).messages as MessageFrame[])[0]!.seq;
      await until('the client to reach the latest message', () => (seen.at(-1)?.seq ?? 0) >= latest, 10_000);
      expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
      expect(serverCutMs).toBeLessThanOrEqual(2 * HEARTBEAT_MS + HEARTBEAT_MS / 4 + 250);
      record('netns-client-cut-from-gateway', {
        heartbeatMs: HEARTBEAT_MS,
        serverCutMs,
        clientResumedMs,
        messages: latest,
        lostOrDuplicated: 0,
      });
    } finally {
      clearInterval(traffic);
      client.close();
    }
  }, 60_000);

  it("one Redis Cluster node cut from a gateway: that node's rooms are unavailable there, the rest work, gaps fill after", async () => {
    await using ns = await createNetns();
    await using cluster = await startRedisCluster(3, 0, ns.hostAddress);
    const seed = `redis://${ns.hostAddress}:${cluster.port}`;
    const env = { REDIS_URL: seed, REDIS_CLUSTER: 'true', REDIS_PREFIX: 'pc', BUS_TIMEOUT_MS: '1000' };
    await using cut = await startNode({ ...env, NODE_ID: 'cut', HOST: ns.address }, ns.name);
    await using healthy = await startNode({ ...env, NODE_ID: 'healthy' });
    // two rooms whose slots live on different masters: one on the node we cut, one elsewhere
    const slotOwner = async (room: string) => {
      const { stdout: slot } = await run('redis-cli', [
        '-p',
        String(cluster.port),
        'cluster',
        'keyslot',
        `pc:{r:${room}}`,
      ]);
      const { stdout: nodes } = await run('redis-cli', ['-p', String(cluster.port), 'cluster', 'nodes']);
      for (const line of nodes.split('\n')) {
        const fields = line.split(' ');
        if (!fields[2]?.includes('master')) continue;
        for (const range of fields.slice(8)) {
          const [from, to] = range.split('-').map(Number);
          if (Number(slot) >= from! && Number(slot) <= (to ?? from)!)
            return Number(fields[1]!.split(':')[1]!.split('@')[0]);
        }
      }
      throw new Error(`no owner for ${room}`);
    };
    const rooms = Array.from({ length: 30 }, (_, i) => `r${i}`);
    const owners = await Promise.all(rooms.map(slotOwner));
    const victimPort = owners[0]!;
    const cutRoom = rooms[0]!;
    const fineRoom = rooms[owners.findIndex((p) => p !== victimPort)]!;
    const apps: Array<{ client: ChorusClient; room: string; seen: MessageFrame[]; told: number }> = [];
    for (const room of [cutRoom, fineRoom]) {
      const client = connect(cut.url, { user: `m-${room}` }, { backoff: { baseMs: 100, maxMs: 500 } });
      const app = { client, room, seen: [] as MessageFrame[], told: 0 };
      client.room(room).on('message', (m) => app.seen.push(m));
      client.room(room).on('recovery', () => app.told++);
      apps.push(app);
    }
    await Promise.all(apps.map((a) => a.client.ready().then(() => a.client.room(a.room).join())));
    await using probe = await TestClient.connect(cut.url, { user: 'probe' });
    await probe.ok({ type: 'join', room: cutRoom });
    await probe.ok({ type: 'join', room: fineRoom });
    await using sender = await TestClient.connect(healthy.url, { user: 'sender' });
    await sender.ok({ type: 'join', room: cutRoom });
    await sender.ok({ type: 'join', room: fineRoom });
    let n = 0;
    const traffic = setInterval(() => {
      for (const room of [cutRoom, fineRoom]) sender.sendRaw(JSON.stringify({ type: 'send', room, body: n++ }));
    }, 30);
    try {
      await sleep(500);
      await ns.partition(victimPort);
      await sleep(300);
      const t0 = Date.now();
      expect(await probe.request({ type: 'send', room: cutRoom, body: 'cut' }, 5_000)).toMatchObject({
        code: 'unavailable',
      });
      const unavailableAfterMs = Date.now() - t0;
      expect((await probe.request({ type: 'send', room: fineRoom, body: 'fine' }, 5_000)).type).toBe('ack');
      await sleep(1_500);
      await ns.heal();
      await sleep(1_000);
      clearInterval(traffic);
      await sleep(300);
      for (const room of [cutRoom, fineRoom]) await sender.ok({ type: 'send', room, body: 'after the heal' });
      for (const a of apps) {
        const latest = ((await sender.ok({ type: 'history', room: a.room, limit: 1 })).messages as MessageFrame[])[0]!
          .seq;
        await until(`${a.room} to catch up`, () => (a.seen.at(-1)?.seq ?? 0) >= latest, 15_000);
        const seqs = a.seen.map((m) => m.seq);
        const contiguous = seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
        expect(contiguous || a.told > 0, `${a.room}: ${seqs.join(',')}`).toBe(true);
      }
      record('netns-cluster-node-cut', {
        unavailableAfterMs,
        cutRoomMessages: apps[0]!.seen.length,
        otherRoomMessages: apps[1]!.seen.length,
        appsTold: apps.filter((a) => a.told > 0).length,
        lostOrDuplicated: 0,
      });
    } finally {
      clearInterval(traffic);
      for (const a of apps) a.client.close();
    }
  }, 90_000);
});
