#!/usr/bin/env node
// `node loadtest/soak.mjs`: the long soak (not CI). Runs `run.mjs soak` on a 3-node cluster for DURATION (30m)
// while sampling every node's RSS, open file descriptors and error counters every SAMPLE_S (30) seconds; then
// checks they stayed flat after warm-up (within 10 %) and writes the figures to docs/reliability.md.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const DURATION = process.env.DURATION ?? '30m';
const SAMPLE_S = Number(process.env.SAMPLE_S ?? 30);
const env = {
  NODES: '3',
  DURATION,
  S: '200',
  P: '2',
  R: '10',
  USERS: '300',
  ROOMS: '600',
  K: '3',
  LABEL: 'soak',
  ...process.env,
};

const metric = (text, name) => Number(new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
const sumOf = (text, name) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((t, l) => t + Number(l.split(' ').at(-1)), 0);

const samples = [];
let http = [];
const run = spawn(process.execPath, [`${root}loadtest/run.mjs`, 'soak'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
let table = '';
createInterface({ input: run.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  const m = /^cluster under test: (.*)$/.exec(line);
  if (m) http = m[1].split(',').map((u) => u.replace('ws://', 'http://').replace('/ws', ''));
  if (line.startsWith('|') || line.startsWith('#')) table += `${line}\n`;
});
const started = Date.now();
const sampler = setInterval(async () => {
  const at = Math.round((Date.now() - started) / 1000);
  const nodes = await Promise.all(
    http.map(async (h) => {
      try {
        const text = await (await fetch(`${h}/metrics`)).text();
        return {
          rssMB: metric(text, 'chorus_process_resident_memory_bytes') / 2 ** 20,
          fds: metric(text, 'chorus_process_open_fds'),
          connections: metric(text, 'chorus_connections'),
          errors: sumOf(text, 'chorus_errors_total'),
        };
      } catch {
        return null;
      }
    }),
  );
  samples.push({ at, nodes });
}, SAMPLE_S * 1000);
const code = await new Promise((resolve) => run.once('exit', resolve));
clearInterval(sampler);

// Flat after warm-up: compare the last sample with the first one after the first fifth of the run.
const valid = samples.filter((s) => s.nodes.length > 0 && s.nodes.every(Boolean));
const warm = valid[Math.floor(valid.length / 5)] ?? valid[0];
const last = valid.at(-1);
const growth = (pick) =>
  warm && last ? Math.max(...warm.nodes.map((n, i) => (pick(last.nodes[i]) - pick(n)) / pick(n))) * 100 : NaN;
const rssGrowth = growth((n) => n.rssMB);
const fdGrowth = growth((n) => n.fds);
const errors = last ? last.nodes.reduce((t, n) => t + n.errors, 0) : NaN;
const flat = rssGrowth <= 10 && fdGrowth <= 10;
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
writeFileSync(
  `${root}loadtest/results/soak-samples-${stamp}.json`,
  JSON.stringify({ env: { DURATION, SAMPLE_S }, samples }, null, 2),
);
const section = `<!-- SOAK:BEGIN (written by loadtest/soak.mjs, ${new Date().toISOString()}) -->
${DURATION} of steady mixed traffic on 3 gateways (k6 \`soak\`: a 200-subscriber fan-out room fed by 2 publishers
at 10 messages/s each, plus 300 members in 600 small rooms, each member sending 10 messages/s), sampled every ${SAMPLE_S} s (\`loadtest/results/soak-samples-${stamp}.json\`).

| figure | value |
|---|---|
| RSS growth after warm-up (worst node) | ${rssGrowth.toFixed(1)} % (${warm?.nodes.map((n) => n.rssMB.toFixed(0)).join(' / ')} → ${last?.nodes.map((n) => n.rssMB.toFixed(0)).join(' / ')} MB) |
| open fds growth after warm-up (worst node) | ${fdGrowth.toFixed(1)} % (${warm?.nodes.map((n) => n.fds).join(' / ')} → ${last?.nodes.map((n) => n.fds).join(' / ')}) |
| error frames sent, all nodes, whole run | ${errors} |
| flat (≤ 10 %) | ${flat ? 'yes' : 'NO'} |
| k6 exit code | ${code} |

${table.trim()}
<!-- SOAK:END -->`;
const path = `${root}docs/reliability.md`;
writeFileSync(path, readFileSync(path, 'utf8').replace(/<!-- SOAK:BEGIN[\s\S]*?<!-- SOAK:END -->/, section));
console.log(section);
process.exit(code === 0 && flat && errors === 0 ? 0 : 1);
