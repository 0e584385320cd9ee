// Real gateway and dashboard processes on port 0, and load generators in processes of their own.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exitOf, track } from './spawned.js';

const GATEWAY_MAIN = fileURLToPath(new URL('../../../services/gateway/dist/main.js', import.meta.url));
const DASHBOARD_MAIN = fileURLToPath(new URL('../../../services/dashboard/dist/main.js', import.meta.url));

export interface NodeProcess extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  readonly http: string;
  readonly child: ChildProcess;
  readonly logs: string[];
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start one gateway node; resolves once it logs `listening`. */
export const startNode = (env: Record<string, string> = {}, netns?: string): Promise<NodeProcess> =>
  startService(GATEWAY_MAIN, { DRAIN_MS: '300', ...env }, netns);

/** Start the ops dashboard against a Redis; resolves once it logs `listening`. */
export const startDashboard = (env: Record<string, string>): Promise<NodeProcess> => startService(DASHBOARD_MAIN, env);

/** `netns`: run the process inside that network namespace (`ip netns exec`), as a host of its own. */
const startService = async (main: string, env: Record<string, string>, netns?: string): Promise<NodeProcess> => {
  const address = env.HOST && env.HOST !== '0.0.0.0' ? env.HOST : '127.0.0.1';
  const [command, args] = netns ? ['ip', ['netns', 'exec', netns, process.execPath, main]] : [process.execPath, [main]];
  const child = track(
    spawn(command, args, {
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const logs: string[] = [];
  const exited = exitOf(child);
  createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${main} did not start:\n${logs.join('\n')}`)), 10_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      if (line.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line).port as number);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${main} exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    port,
    url: `ws://${address}:${port}/ws`,
    http: `http://${address}:${port}`,
    child,
    logs,
    exited,
    kill,
    [Symbol.asyncDispose]: async () => {
      await kill('SIGKILL');
    },
  };
};

/** A load generator in its own process (a Node script), so it never shares the measuring test's event loop. */
export interface ScriptProcess extends AsyncDisposable {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line that `match` accepts. */
  line(match: (line: string) => boolean): Promise<string>;
  readonly exited: Promise<number | null>;
}

export const startScript = (script: string, env: Record<string, string>): ScriptProcess => {
  const child = track(
    spawn(process.execPath, [script], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const lines: string[] = [];
  const waiting = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const wake of waiting) wake();
  });
  const exited = exitOf(child);
  return {
    child,
    exited,
    line: (match) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found === undefined) return false;
          waiting.delete(check);
          resolve(found);
          return true;
        };
        if (check()) return;
        waiting.add(check);
        void exited.then((code) => (check() ? undefined : reject(new Error(`${script} exited with ${code}`))));
      }),
    [Symbol.asyncDispose]: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
};
