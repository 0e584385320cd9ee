#!/usr/bin/env node
// `pnpm bench`: chorus, raw uWebSockets.js over Redis, and Socket.IO 4 + redis-adapter, side by side on this
// machine, in one run: each as 2 nodes over one redis-server pinned to core 0, the generator pinned to core 1.
// Per server: the highest sustained deliveries/s with p99 <= 250 ms and loss <= 0.1 %, latency at a fixed
// rate, RSS per idle connection at IDLE connections, and connections/s in a storm. RUNS repetitions; medians
// and spreads go to docs/benchmarks.md (between its BENCH markers) and loadtest/results/bench-<time>.json.
// settings.mjs reads the environment, stack.mjs starts a target's servers, generator.mjs runs the Go generator.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { GEN, flow } from './generator.mjs';
import { pinned, rssOf, sleep } from './processes.mjs';
import {
  FIXED_RATE,
  GENERATOR_CORE,
  GENERATOR_LIMIT,
  IDLE,
  IDLE_KIND,
  IDLE_ROOMS,
  IDLE_SETTLE_S,
  LOSS_LIMIT,
  P99_LIMIT,
  PUBS,
  RUNS,
  SERVER_CORE,
  STEP_SECONDS,
  SUBS,
  TARGETS,
  WRITE_DOCS,
  root,
  wire,
} from './settings.mjs';
import { startStack } from './stack.mjs';

const passes = (r) => r.p99 !== null && r.p99 <= P99_LIMIT && r.lossPct <= LOSS_LIMIT && r.disordered === 0;

/**
 * Raise the publish rate ×1.5 from 10 msg/s until a step fails, then bisect twice between the last passing
 * and the first failing rate; the best passing step is the capacity. Each step runs on a fresh stack.
 */
const capacity = async (target) => {
  const steps = [];
  const step = async (rate) => {
    const stack = await startStack(target);
    try {
      const r = await flow(target, stack.urls, rate);
      steps.push(r);
      process.stderr.write(
        `  ${target} rate ${rate}/s: ${r.deliveriesPerSec} deliveries/s p99 ${r.p99} ms loss ${r.lossPct.toFixed(3)}% gen ${r.generatorCpuPct}% server ${r.serverCpuPct}% cpu\n`,
      );
      return r;
    } finally {
      await stack.stop();
    }
  };
  let best = null;
  let failing = null;
  // A failing step whose generator was past GENERATOR_LIMIT may have failed for the generator's sake: the
  // ceiling under it is then only a floor. (A passing step proves the generator kept up, however busy it was:
  // its CPU is high at low rates too, one wake-up per frame, and falls per delivery as frames batch.)
  let generatorBound = false;
  // The lowest failing step: how busy each core was where the ceiling gave way.
  let firstFailing = null;
  const failed = (r) => {
    generatorBound ||= r.generatorCpuPct >= GENERATOR_LIMIT;
    if (!firstFailing || r.rate < firstFailing.rate) firstFailing = r;
  };
  for (let rate = 10; rate < 100_000; rate = Math.ceil(rate * 1.5)) {
    const r = await step(rate);
    if (!passes(r)) {
      failing = rate;
      failed(r);
      break;
    }
    best = r;
  }
  for (let i = 0; i < 2 && best && failing; i++) {
    const rate = Math.round((best.rate + failing) / 2);
    const r = await step(rate);
    if (passes(r) && r.deliveriesPerSec > best.deliveriesPerSec) best = r;
    else {
      failing = rate;
      failed(r);
    }
  }
  return { best, steps, generatorBound, firstFailing };
};

const idle = async (target) => {
  const stack = await startStack(target);
  try {
    const url = stack.urls.split(',')[0];
    await sleep(500);
    const before = rssOf(stack.pids[0]);
    const child = pinned(
      GENERATOR_CORE,
      GEN,
      [
        '--mode',
        'idle',
        '--target',
        wire(target),
        '--urls',
        url,
        '--subs',
        String(IDLE),
        '--idle-rooms',
        String(IDLE_ROOMS),
      ],
      { GOMAXPROCS: '1' },
    );
    child.stderr.resume();
    const line = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`idle generator exited ${code}`)));
    });
    await sleep(1500);
    const after = rssOf(stack.pids[0]);
    await sleep(IDLE_SETTLE_S * 1000);
    const settled = rssOf(stack.pids[0]);
    child.kill('SIGKILL');
    const storm = JSON.parse(line);
    return {
      rssPerConnection: Math.round((after - before) / IDLE),
      rssSettledPerConnection: Math.round((settled - before) / IDLE),
      rssBefore: before,
      rssAfter: after,
      rssSettled: settled,
      connectionsPerSec: storm.connectionsPerSec,
    };
  } finally {
    await stack.stop();
  }
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

// PHASES=smoke: one short step per target at FIXED_RATE, a JSON line each: CI's check that the generator, the
// servers and this script work end to end. It measures nothing worth keeping and writes no file.
if (process.env.PHASES === 'smoke') {
  for (const target of TARGETS) {
    const stack = await startStack(target);
    try {
      process.stdout.write(`${JSON.stringify(await flow(target, stack.urls, FIXED_RATE))}\n`);
    } finally {
      await stack.stop();
    }
  }
  process.exit(0);
}

// PHASES=idle measures only memory and the storm (its own table section, IDLE markers).
if (process.env.PHASES === 'idle') {
  const rows = Object.fromEntries(TARGETS.map((t) => [t, []]));
  for (let run = 1; run <= RUNS; run++) {
    for (const target of TARGETS) {
      const m = await idle(target);
      process.stderr.write(
        `run ${run}/${RUNS} ${target}: ${m.rssPerConnection} B/connection after 1.5 s, ${m.rssSettledPerConnection} after ${IDLE_SETTLE_S} s more, ${m.connectionsPerSec} connections/s\n`,
      );
      rows[target].push(m);
    }
  }
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const cell = (xs) =>
    `${med(xs).toLocaleString('en')} (${Math.min(...xs).toLocaleString('en')}–${Math.max(...xs).toLocaleString('en')})`;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  writeFileSync(
    `${root}loadtest/results/bench-idle-${stamp}.json`,
    JSON.stringify({ RUNS, IDLE, IDLE_ROOMS, IDLE_SETTLE_S, rows }, null, 2),
  );
  const table = `<!-- IDLE:BEGIN (written by loadtest/bench/run.mjs PHASES=idle, ${new Date().toISOString()}) -->
${IDLE.toLocaleString('en')} idle connections on one node (connected and reading; ${IDLE_KIND}), opened 200 at a time;
median of ${RUNS} (min–max). RSS per connection 1.5 s after the storm, and settled ${IDLE_SETTLE_S} s later.
Raw data: \`loadtest/results/bench-idle-${stamp}.json\`.

| | ${TARGETS.join(' | ')} |
|---|${TARGETS.map(() => '---').join('|')}|
| RSS per idle connection, 1.5 s after the storm (bytes) | ${TARGETS.map((t) => cell(rows[t].map((r) => r.rssPerConnection))).join(' | ')} |
| RSS per idle connection, settled (bytes) | ${TARGETS.map((t) => cell(rows[t].map((r) => r.rssSettledPerConnection))).join(' | ')} |
| connections/s in the storm | ${TARGETS.map((t) => cell(rows[t].map((r) => r.connectionsPerSec))).join(' | ')} |
<!-- IDLE:END -->`;
  const docPath = `${root}docs/benchmarks.md`;
  if (WRITE_DOCS)
    writeFileSync(docPath, readFileSync(docPath, 'utf8').replace(/<!-- IDLE:BEGIN[\s\S]*?<!-- IDLE:END -->/, table));
  process.stdout.write(`${table}\n`);
  process.exit(0);
}

// PHASES=ceilings measures only the capacity search (no fixed rate, no memory, no docs): a quick side-by-side
// of ceilings, medians printed and the raw data written.
const CEILINGS_ONLY = process.env.PHASES === 'ceilings';
const results = Object.fromEntries(TARGETS.map((t) => [t, []]));
for (let run = 1; run <= RUNS; run++) {
  for (const target of TARGETS) {
    process.stderr.write(`run ${run}/${RUNS}: ${target}\n`);
    const cap = await capacity(target);
    if (CEILINGS_ONLY) {
      results[target].push({ capacity: cap.best, steps: cap.steps, firstFailing: cap.firstFailing });
      continue;
    }
    const stack = await startStack(target);
    let fixed;
    try {
      fixed = await flow(target, stack.urls, FIXED_RATE);
    } finally {
      await stack.stop();
    }
    const mem = await idle(target);
    results[target].push({
      capacity: cap.best,
      steps: cap.steps,
      generatorBound: cap.generatorBound,
      firstFailing: cap.firstFailing,
      fixed,
      ...mem,
    });
  }
}

if (CEILINGS_ONLY) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = `${root}loadtest/results/bench-ceilings-${stamp}.json`;
  writeFileSync(file, JSON.stringify({ settings: { RUNS, SUBS, PUBS, STEP_SECONDS }, results }, null, 2));
  for (const target of TARGETS) {
    const runs = results[target];
    const at = (pick) => runs.map((r) => (r.capacity ? pick(r.capacity) : 0));
    const ceilings = at((c) => c.deliveriesPerSec);
    process.stdout.write(
      `${target}: max deliveries/s median ${median(ceilings)} (${Math.min(...ceilings)}–${Math.max(...ceilings)}); ` +
        `at it, generator ${at((c) => c.generatorCpuPct).join('/')} %, server core ${at((c) => c.serverCpuPct).join('/')} %\n`,
    );
  }
  process.stdout.write(`raw data: ${file}\n`);
  process.exit(0);
}

const summary = Object.fromEntries(
  TARGETS.map((t) => {
    const runs = results[t];
    const stat = (pick) => {
      const xs = runs.map(pick).filter((x) => x !== null && x !== undefined);
      return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
    };
    return [
      t,
      {
        maxDeliveriesPerSec: stat((r) => r.capacity?.deliveriesPerSec ?? 0),
        generatorBoundRuns: runs.filter((r) => r.generatorBound).length,
        p99AtMax: stat((r) => r.capacity?.p99 ?? null),
        generatorCpuAtMax: stat((r) => r.capacity?.generatorCpuPct ?? null),
        serverCpuAtMax: stat((r) => r.capacity?.serverCpuPct ?? null),
        generatorCpuAtFail: stat((r) => r.firstFailing?.generatorCpuPct ?? null),
        serverCpuAtFail: stat((r) => r.firstFailing?.serverCpuPct ?? null),
        fixedP50: stat((r) => r.fixed.p50),
        fixedP99: stat((r) => r.fixed.p99),
        fixedLoss: stat((r) => r.fixed.lost),
        disordered: stat((r) => Math.max(r.fixed.disordered, ...r.steps.map((s) => s.disordered))),
        rssPerConnection: stat((r) => r.rssPerConnection),
        rssSettledPerConnection: stat((r) => r.rssSettledPerConnection),
        connectionsPerSec: stat((r) => r.connectionsPerSec),
      },
    ];
  }),
);

// chorus (as the SDK speaks it: compact when measured) p99 at 80 % of its own maximum
let chorusAt80 = null;
const headline = summary['chorus-compact'] ? 'chorus-compact' : summary.chorus ? 'chorus' : undefined;
if (headline) {
  const rate = Math.round(median(results[headline].map((r) => r.capacity?.rate ?? 10)) * 0.8);
  const stack = await startStack(headline);
  try {
    chorusAt80 = await flow(headline, stack.urls, rate);
  } finally {
    await stack.stop();
  }
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
mkdirSync(`${root}loadtest/results`, { recursive: true });
const raw = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  settings: { RUNS, SUBS, PUBS, STEP_SECONDS, FIXED_RATE, IDLE },
  summary,
  chorusAt80,
  results,
};
writeFileSync(`${root}loadtest/results/bench-${stamp}.json`, JSON.stringify(raw, null, 2));

const fmt = (s, unit = '') =>
  s ? `${s.median.toLocaleString('en')}${unit} (${s.min.toLocaleString('en')}–${s.max.toLocaleString('en')})` : '—';
const boundNote = (t) =>
  summary[t].generatorBoundRuns ? ` ≥, generator-bound in ${summary[t].generatorBoundRuns}/${RUNS}` : '';
const ratio = (a, b) =>
  summary[a] && summary[b]
    ? (summary[a].maxDeliveriesPerSec.median / summary[b].maxDeliveriesPerSec.median).toFixed(2)
    : '—';
const table = `<!-- BENCH:BEGIN (written by loadtest/bench/run.mjs, ${new Date().toISOString()}) -->
Median of ${RUNS} runs (min–max in parentheses). ${SUBS} subscribers on 2 nodes, ${PUBS} publishers, ~80-byte
bodies, ${STEP_SECONDS} s per step; servers + Redis on core ${SERVER_CORE}, generator on core ${GENERATOR_CORE}
(every delivery counted, every ${20}th subscriber reading its payloads for order and latency).

| | ${TARGETS.join(' | ')} |
|---|${TARGETS.map(() => '---').join('|')}|
| max sustained deliveries/s (p99 ≤ ${P99_LIMIT} ms, loss ≤ ${LOSS_LIMIT} %) | ${TARGETS.map((t) => fmt(summary[t].maxDeliveriesPerSec) + boundNote(t)).join(' | ')} |
| p99 at that rate (ms) | ${TARGETS.map((t) => fmt(summary[t].p99AtMax)).join(' | ')} |
| busy at that rate: server core / generator core (%) | ${TARGETS.map((t) => `${fmt(summary[t].serverCpuAtMax)} / ${fmt(summary[t].generatorCpuAtMax)}`).join(' | ')} |
| busy at the first failing rate: server core / generator core (%) | ${TARGETS.map((t) => `${fmt(summary[t].serverCpuAtFail)} / ${fmt(summary[t].generatorCpuAtFail)}`).join(' | ')} |
| p50 / p99 at ${FIXED_RATE} msg/s = ${(FIXED_RATE * SUBS).toLocaleString('en')} deliveries/s (ms) | ${TARGETS.map((t) => `${fmt(summary[t].fixedP50)} / ${fmt(summary[t].fixedP99)}`).join(' | ')} |
| lost at that rate | ${TARGETS.map((t) => fmt(summary[t].fixedLoss)).join(' | ')} |
| out-of-order deliveries, all rates | ${TARGETS.map((t) => fmt(summary[t].disordered)).join(' | ')} |
| RSS per idle connection at ${IDLE.toLocaleString('en')}, 1.5 s after the storm (bytes) | ${TARGETS.map((t) => fmt(summary[t].rssPerConnection)).join(' | ')} |
| the same, settled ${IDLE_SETTLE_S} s later (bytes) | ${TARGETS.map((t) => fmt(summary[t].rssSettledPerConnection)).join(' | ')} |
| connections/s in a storm (one node) | ${TARGETS.map((t) => fmt(summary[t].connectionsPerSec)).join(' | ')} |

Ratios (medians): same application body, chorus compact / raw uWS = **${ratio('chorus-compact', 'raw')}×** (v1: ${ratio('chorus', 'raw')}×); equal bytes on the wire, chorus v1 / raw uWS padded = **${ratio('chorus', 'raw-padded')}×**; chorus compact / Socket.IO = **${ratio('chorus-compact', 'socketio')}×**.
A ceiling marked generator-bound is a floor: the generator was past ${GENERATOR_LIMIT} % of its core in a step that failed.
${headline} at 80 % of its own maximum: p99 **${chorusAt80?.p99 ?? '—'} ms** (p50 ${chorusAt80?.p50 ?? '—'} ms, ${chorusAt80?.deliveriesPerSec?.toLocaleString('en') ?? '—'} deliveries/s, lost ${chorusAt80?.lost ?? '—'}).
Raw data: \`loadtest/results/bench-${stamp}.json\`.
<!-- BENCH:END -->`;
const docPath = `${root}docs/benchmarks.md`;
let doc;
try {
  doc = readFileSync(docPath, 'utf8');
} catch {
  doc = '# Benchmarks\n\n<!-- BENCH:BEGIN --><!-- BENCH:END -->\n';
}
doc = doc.replace(/<!-- BENCH:BEGIN[\s\S]*?<!-- BENCH:END -->/, table);
if (WRITE_DOCS) writeFileSync(docPath, doc);
process.stdout.write(`${table}\n`);
