// What the benchmark scripts share: free ports, pinning a process to a core, waiting for a log line, RSS, how busy a core is.
// (Plain Node, run without a build: the test kit is TypeScript that only vitest runs.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `command` on one core (taskset execs it, so the child's pid is the command's). */
export const pinned = (core, command, args, env = {}) =>
  spawn('taskset', ['-c', core, command, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** Resolves with the child's first stdout line that matches, within 15 s. */
export const waitLine = (child, pattern, what) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), 15_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (pattern.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });

export const rssOf = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

/** A core's busy and total time so far, in ticks (/proc/stat): everything on it, softirqs included. */
export const coreTimes = (core) => {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${core} `));
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
};

/** How busy the core was between two `coreTimes` readings, in %. */
export const busyPct = (from, to) => Math.round(((to.busy - from.busy) / Math.max(1, to.total - from.total)) * 100);
