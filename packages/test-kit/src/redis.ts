// redis-server on free ports: one server, a Redis Cluster, or a primary and replica watched by three Sentinels.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { freePort, isFree } from './ports.js';
import { exitOf, track, waitForLine } from './spawned.js';

export interface RedisProcess extends AsyncDisposable {
  readonly port: number;
  readonly url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
}

/** Start a throwaway redis-server (no persistence unless extraArgs ask for it) on a free port, in its own temp dir. */
export const startRedis = async (extraArgs: string[] = [], givenPort?: number): Promise<RedisProcess> => {
  const port = givenPort ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'chorus-redis-'));
  let child: ChildProcess;
  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    child = track(spawn('redis-server', [...args, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', reject);
    });
  };
  await launch();
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const exited = exitOf(child);
    child.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: launch,
    [Symbol.asyncDispose]: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const run = promisify(execFile);

/**
 * A real Redis Cluster on free ports, built with `redis-cli --cluster create`: `masters` masters and `replicas`
 * replicas of each (a replica takes over ~1–4 s after its master dies: cluster-node-timeout 1,000 ms then).
 */
export const startRedisCluster = async (
  masters = 3,
  replicas = 0,
  /** Also listen on, and announce, this address of this host (a veth end a network namespace can reach). */
  announce?: string,
): Promise<RedisProcess & { ports: number[]; servers: RedisProcess[] }> => {
  // A cluster node also listens on port + 10000 (its bus): pick ports where both are free.
  const ports: number[] = [];
  while (ports.length < masters * (1 + replicas)) {
    const port = await freePort();
    if (port > 55_535 || ports.includes(port) || !(await isFree(port + 10_000))) continue;
    ports.push(port);
  }
  const servers = await Promise.all(
    ports.map((port) =>
      startRedis(
        [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          replicas > 0 ? '1000' : '3000',
          // replicas sync at once (the default waits 5 s), so they can take over from the start
          '--repl-diskless-sync-delay',
          '0',
          ...(announce
            ? ['--bind', '127.0.0.1', announce, '--protected-mode', 'no', '--cluster-announce-ip', announce]
            : []),
        ],
        port,
      ),
    ),
  );
  // Each server has its own dir, so the cluster config files do not collide.
  const addresses = servers.map((s) => `${announce ?? '127.0.0.1'}:${s.port}`);
  await run('redis-cli', [
    '--cluster',
    'create',
    ...addresses,
    '--cluster-replicas',
    String(replicas),
    '--cluster-yes',
  ]);
  const deadline = Date.now() + 15_000;
  for (const s of servers) {
    for (;;) {
      const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      if (Date.now() > deadline) throw new Error('redis cluster did not become ok');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // A replica that has not synced yet cannot take over ("disconnected from master for longer than allowed").
  for (const server of servers) {
    for (;;) {
      const { stdout } = await run('redis-cli', ['-p', String(server.port), 'info', 'replication']);
      if (stdout.includes('role:master') || stdout.includes('master_link_status:up')) break;
      if (Date.now() > deadline) throw new Error('a cluster replica never synced');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port: servers[0]!.port,
    ports: servers.map((s) => s.port),
    servers,
    url: servers[0]!.url,
    kill: async (signal) => {
      await Promise.all(servers.map((s) => s.kill(signal)));
    },
    restart: async () => {
      throw new Error('restart a cluster member through its own process');
    },
    [Symbol.asyncDispose]: async () => {
      await Promise.all(servers.map((s) => s[Symbol.asyncDispose]()));
    },
  };
};

export interface SentinelSet extends AsyncDisposable {
  readonly primary: RedisProcess;
  readonly replica: RedisProcess;
  /** `host:port,…` for REDIS_SENTINELS. */
  readonly sentinels: string;
  readonly name: string;
  /**
   * What a service is given to reach the set: REDIS_SENTINELS, REDIS_SENTINEL_NAME, and with a password a
   * REDIS_URL that carries it (its host is unused with Sentinel).
   */
  readonly env: Record<string, string>;
  /** The port of the primary as the sentinels see it now. */
  currentPrimary(): Promise<number>;
}

/** A primary, a replica and three sentinels (Debian's redis-sentinel), all on free ports; failover in ~1–3 s. */
export const startSentinelSet = async (name = 'chorus', password?: string): Promise<SentinelSet> => {
  const auth = password ? ['--requirepass', password, '--masterauth', password] : [];
  const primary = await startRedis(auth);
  const replica = await startRedis([...auth, '--replicaof', '127.0.0.1', String(primary.port)]);
  const dir = mkdtempSync(join(tmpdir(), 'chorus-sentinel-'));
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  const children = await Promise.all(
    sentinelPorts.map(async (port) => {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          ...(password ? [`sentinel auth-pass ${name} ${password}`] : []),
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
        ].join('\n'),
      );
      const child = track(spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] }));
      await waitForLine(child, '+monitor master', 10_000);
      return child;
    }),
  );
  // The replica has synced before any test traffic: a failover then loses only what replication had not copied.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { stdout } = await run('redis-cli', [
      '-p',
      String(replica.port),
      ...(password ? ['-a', password, '--no-auth-warning'] : []),
      'info',
      'replication',
    ]);
    if (stdout.includes('master_link_status:up')) break;
    if (Date.now() > deadline) throw new Error('the replica never synced');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    primary,
    replica,
    name,
    sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
    env: {
      REDIS_SENTINELS: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_NAME: name,
      ...(password ? { REDIS_URL: `redis://:${encodeURIComponent(password)}@primary-found-by-sentinel` } : {}),
    },
    currentPrimary: async () => {
      const { stdout } = await run('redis-cli', [
        '-p',
        String(sentinelPorts[0]),
        'sentinel',
        'get-master-addr-by-name',
        name,
      ]);
      return Number(stdout.trim().split('\n')[1]);
    },
    [Symbol.asyncDispose]: async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(children.map(exitOf));
      await replica[Symbol.asyncDispose]();
      await primary[Symbol.asyncDispose]();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Resolves once the process prints a line containing `text` (on stdout). */
