// CI's load smoke: k6 drives a 10-second fan-out through `pnpm loadtest` against a 2-node cluster, zero loss.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

it('a 10 s k6 fan-out on 2 nodes loses nothing and keeps order', async () => {
  const label = `ci-smoke-${process.pid}`;
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const run = spawn(process.execPath, [`${here}run.mjs`, 'fanout'], {
      env: { ...process.env, NODES: '2', S: '60', P: '2', R: '20', DURATION: '10s', LABEL: label },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    run.stdout.on('data', (chunk: Buffer) => output.push(String(chunk)));
    run.stderr.on('data', (chunk: Buffer) => output.push(String(chunk)));
    run.once('exit', resolve);
  });
  expect(code, output.join('')).toBe(0);
  const table = readdirSync(`${here}results`).find((f) => f.startsWith(label) && f.endsWith('.md'))!;
  const text = readFileSync(`${here}results/${table}`, 'utf8');
  expect(text).toMatch(/\| lost \| 0 \|/);
  expect(text).toMatch(/\| out of order \/ repeated \| 0 \|/);
  expect(text).toMatch(/\| thresholds \| all passed \|/);
  const summary = JSON.parse(readFileSync(`${here}results/${table.replace(/\.md$/, '.json')}`, 'utf8')) as {
    metrics: Record<string, { count?: number }>;
  };
  expect(summary.metrics.chorus_published!.count).toBeGreaterThan(300);
  expect(summary.metrics.chorus_deliveries!.count).toBe(summary.metrics.chorus_published!.count! * 60);
}, 120_000);
