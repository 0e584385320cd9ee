// The Go load generator (gen/): built once, run pinned to the generator core, one JSON result per run.
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { busyPct, coreTimes, pinned } from './processes.mjs';
import { GENERATOR_CORE, PUBS, SERVER_CORE, STEP_SECONDS, SUBS, here, wire } from './settings.mjs';

// The generator is Go (gen/main.go): a Node one saturated its core before the servers did.
export const GEN = `${here}.bin/gen`;
execFileSync('go', ['build', '-o', GEN, '.'], {
  cwd: `${here}gen`,
  env: { ...process.env, GOFLAGS: '-mod=mod' },
  stdio: 'inherit',
});
/**
 * Runs the generator. The result also gives serverCpuPct: how busy the server core was over the generator's
 * own measuring window (it prints a line when sampling starts), so every step shows both cores.
 */
export const generate = (args) =>
  new Promise((resolve, reject) => {
    const child = pinned(GENERATOR_CORE, GEN, args, { GOMAXPROCS: '1' });
    let out = '';
    let err = '';
    let from;
    let serverCpuPct;
    createInterface({ input: child.stdout }).on('line', (line) => {
      out += `${line}\n`;
      if (line === '{"phase":"sampling"}') from = coreTimes(SERVER_CORE);
      else if (from && serverCpuPct === undefined) serverCpuPct = busyPct(from, coreTimes(SERVER_CORE)); // the result
    });
    child.stderr.on('data', (c) => (err = (err + c).slice(-2000)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`generator exited ${code}: ${out}${err}`));
      resolve({ ...JSON.parse(out.trim().split('\n').at(-1)), serverCpuPct });
    });
  });

/** `<target>@COUNTER=epoll` is a setting of the generator, not of the server (gen/counting.go). */
const generatorSettings = (target) => {
  const counter = /@COUNTER=(\w+)$/.exec(target);
  return counter ? ['--counter', counter[1]] : [];
};

export const flow = (target, urls, rate) =>
  generate([
    '--target',
    wire(target),
    '--urls',
    urls,
    '--subs',
    String(SUBS),
    '--pubs',
    String(PUBS),
    '--rate',
    String(rate),
    '--seconds',
    String(STEP_SECONDS),
    ...generatorSettings(target),
  ]);
