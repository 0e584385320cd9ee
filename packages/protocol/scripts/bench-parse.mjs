// parseClientFrame side by side: the protocol package at a git revision against the working tree, in one
// process (median of 3 rounds), on an ordinary `send` frame and a hostile 5,000-deep one.
//   node packages/protocol/scripts/bench-parse.mjs [rev=HEAD~1]
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const rev = process.argv[2] ?? 'HEAD~1';
const pkg = fileURLToPath(new URL('..', import.meta.url));
// Inside the package, so the old sources resolve zod from its node_modules.
const old = mkdtempSync(join(pkg, '.bench-'));
const bundle = async (entry, name) => {
  const outfile = join(old, `${name}.mjs`);
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error' });
  return import(outfile);
};
try {
  execSync(`git archive ${rev} src | tar -x -C ${old}`, { cwd: pkg, stdio: ['ignore', 'ignore', 'inherit'] });
  const before = await bundle(join(old, 'src/index.ts'), 'before');
  const after = await bundle(join(pkg, 'src/index.ts'), 'after');
  const frames = {
    send: JSON.stringify({ type: 'send', id: 'r-1', room: 'lobby', key: 'k-1', body: { text: 'hello there', n: 1 } }),
    deep5000: `{"type":"echo","id":"d","body":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  };
  const time = (fn, n) => {
    for (let i = 0; i < n; i++) fn();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    return ((performance.now() - t0) / n) * 1000;
  };
  for (const [name, frame] of Object.entries(frames)) {
    const n = name === 'send' ? 300_000 : 3_000;
    const rounds = [0, 1, 2].map(() => [
      time(() => before.parseClientFrame(frame), n),
      time(() => after.parseClientFrame(frame), n),
    ]);
    const median = (i) => rounds.map((r) => r[i]).sort((a, b) => a - b)[1];
    const [b, a] = [median(0), median(1)];
    console.log(`${name}: ${rev} ${b.toFixed(3)} µs, now ${a.toFixed(3)} µs, now/${rev} ${(a / b).toFixed(2)}×`);
  }
} finally {
  rmSync(old, { recursive: true, force: true });
}
