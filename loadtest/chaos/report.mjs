#!/usr/bin/env node
// Turns loadtest/results/chaos-*.json into the results table of docs/reliability.md (between its markers).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = `${root}loadtest/results/`;
const scale = process.argv[2] ?? 'full';
const files = readdirSync(dir).filter((f) => f.startsWith('chaos-') && f.endsWith(`-${scale}.json`));
const format = (v) =>
  Array.isArray(v)
    ? v.join('/')
    : typeof v === 'number'
      ? Math.round(v * 100) / 100
      : v !== null && typeof v === 'object'
        ? `{${Object.entries(v)
            .map(([k, x]) => `${k} ${format(x)}`)
            .join(', ')}}`
        : v;
const rows = files.sort().map((f) => {
  const { scenario, at, scale: s, ...figures } = JSON.parse(readFileSync(dir + f, 'utf8'));
  const text = Object.entries(figures)
    .map(([k, v]) => `${k}: ${format(v)}`)
    .join('; ');
  return `| ${scenario} | ${s} | ${at.slice(0, 16).replace('T', ' ')} | ${text} |`;
});
const table = `<!-- CHAOS:BEGIN (written by loadtest/chaos/report.mjs) -->
| scenario | scale | when (UTC) | measured |
|---|---|---|---|
${rows.join('\n')}
<!-- CHAOS:END -->`;
const path = `${root}docs/reliability.md`;
const doc = readFileSync(path, 'utf8').replace(/<!-- CHAOS:BEGIN[\s\S]*?<!-- CHAOS:END -->/, table);
writeFileSync(path, doc);
console.log(table);
