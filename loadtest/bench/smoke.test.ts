// CI's bench smoke (`PHASES=smoke`): every target of `pnpm bench` for one short step at a low rate, through the
// same script, Go generator and servers as the real benchmark. It checks the plumbing and the counting, never
// a speed: the figures are docs/benchmarks.md's, from `pnpm bench` on a quiet machine.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const TARGETS = ['raw', 'raw-padded', 'chorus', 'chorus-compact', 'socketio'];

interface Step {
  target: string;
  published: number;
  expected: number;
  received: number;
  disordered: number;
  p99: number | null;
  generatorCpuPct: number;
  serverCpuPct: number;
}

it('each target delivers every message in order to every subscriber, with both cores measured', async () => {
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const run = spawn(process.execPath, [`${here}run.mjs`], {
      env: { ...process.env, PHASES: 'smoke', TARGETS: TARGETS.join(','), SUBS: '100', STEP_SECONDS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    run.stdout.on('data', (chunk: Buffer) => output.push(String(chunk)));
    run.stderr.on('data', (chunk: Buffer) => output.push(String(chunk)));
    run.once('exit', resolve);
  });
  expect(code, output.join('')).toBe(0);
  const steps = output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{"'))
    .map((line) => JSON.parse(line) as Step);
  expect(steps.map((s) => s.target)).toEqual(TARGETS);
  for (const s of steps) {
    expect(s.published, s.target).toBeGreaterThanOrEqual(30); // FIXED_RATE 20/s for 2 s
    expect(s.expected, s.target).toBe(s.published * 100);
    expect(s.received, s.target).toBe(s.expected);
    expect(s.disordered, s.target).toBe(0);
    expect(s.p99, s.target).not.toBeNull();
    expect(s.generatorCpuPct, s.target).toBeGreaterThan(0);
    expect(s.serverCpuPct, s.target).toBeGreaterThan(0);
    expect(s.serverCpuPct, s.target).toBeLessThanOrEqual(100);
  }
}, 180_000);

it("the generator's own tests pass (gen/counting.go's frame counting across every split of a read)", () => {
  const out = execFileSync('go', ['test', './...'], {
    cwd: `${here}gen`,
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    encoding: 'utf8',
  });
  expect(out).toMatch(/^ok\s/m);
}, 120_000);
