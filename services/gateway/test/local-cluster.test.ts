// `pnpm cluster` really starts redis + N nodes that share rooms, and stops them all on SIGINT.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { freePort, isFree, TestClient } from '@chorus/test-kit';

it('pnpm cluster starts a working 2-node cluster with its dashboard and stops it cleanly', async () => {
  // The nodes take consecutive ports: find a base whose next port is free too.
  let base = await freePort();
  while (!(await isFree(base + 1))) base = await freePort();
  const [redisPort, dashboardPort] = [await freePort(), await freePort()];
  const script = fileURLToPath(new URL('../../../scripts/cluster.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      NODES: '2',
      PORT: String(base),
      REDIS_PORT: String(redisPort),
      DASHBOARD_PORT: String(dashboardPort),
      DRAIN_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  try {
    await new Promise<void>((resolve, reject) => {
      const output: string[] = [];
      const timer = setTimeout(() => reject(new Error(`cluster did not start:\n${output.join('\n')}`)), 20_000);
      void exited.then((code) => reject(new Error(`pnpm cluster exited with ${code}:\n${output.join('\n')}`)));
      createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        output.push(line);
        if (line.includes('chorus cluster ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await using a = await TestClient.connect(`ws://127.0.0.1:${base}/ws`, { user: 'a' });
    await using b = await TestClient.connect(`ws://127.0.0.1:${base + 1}/ws`, { user: 'b' });
    expect(a.frames[0]!.node).toBe('node-1');
    expect(b.frames[0]!.node).toBe('node-2');
    await a.ok({ type: 'join', room: 'local' });
    await b.ok({ type: 'join', room: 'local' });
    await a.ok({ type: 'send', room: 'local', body: 'across' });
    expect(await b.next((f) => f.type === 'message')).toMatchObject({ body: 'across', from: 'a' });
    expect((await fetch(`http://127.0.0.1:${dashboardPort}/healthz`)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
}, 40_000);
