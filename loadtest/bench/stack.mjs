// One stack per step: redis-server and two server nodes of a target, pinned to the server core.
import { freePort, pinned, sleep, waitLine } from './processes.mjs';
import { BEFORE_ROOT, SERVER_CORE, here, root, wire } from './settings.mjs';

const SERVERS = {
  chorus: (port, redisUrl, i, checkout = root) => [
    process.execPath,
    [`${checkout}services/gateway/dist/main.js`],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      NODE_ID: `b${i}`,
      RATE_PER_SEC: '1000000',
      LOG_LEVEL: 'warn',
      MAX_BACKPRESSURE_BYTES: String(16 << 20),
    },
    'ws',
  ],
  raw: (port, redisUrl) => [
    process.execPath,
    [`${here}servers/raw-uws.mjs`],
    { PORT: String(port), REDIS_URL: redisUrl },
    'ws',
  ],
  socketio: (port, redisUrl) => [
    process.execPath,
    [`${here}servers/socketio.mjs`],
    { PORT: String(port), REDIS_URL: redisUrl },
    'http',
  ],
};

export const startStack = async (target) => {
  const redisPort = await freePort();
  const redis = pinned(SERVER_CORE, 'redis-server', [
    '--port',
    String(redisPort),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitLine(redis, /Ready to accept connections/, 'redis');
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const nodes = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const before = target.endsWith('@before');
    if (before && !BEFORE_ROOT) throw new Error(`${target} needs BEFORE_ROOT (a built checkout to compare with)`);
    const server = SERVERS[wire(target).split('-')[0]];
    const [command, args, env, scheme] = server(
      port,
      redisUrl,
      i,
      before ? `${BEFORE_ROOT.replace(/\/?$/, '/')}` : root,
    );
    const setting = /@([A-Z_]+)=(.*)$/.exec(target);
    if (setting && setting[1] !== 'COUNTER') env[setting[1]] = setting[2];
    const child = pinned(SERVER_CORE, command, args, env);
    child.stderr.resume();
    nodes.push({
      child,
      url: scheme === 'ws' ? `ws://127.0.0.1:${port}/ws` : `http://127.0.0.1:${port}`,
      http: `http://127.0.0.1:${port}`,
    });
  }
  for (const node of nodes) {
    for (let tries = 0; ; tries++) {
      const ok = await fetch(`${node.http}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (tries > 100) throw new Error(`${target} did not start`);
      await sleep(100);
    }
  }
  return {
    urls: nodes.map((n) => n.url).join(','),
    pids: nodes.map((n) => n.child.pid),
    stop: async () => {
      for (const p of [...nodes.map((n) => n.child), redis]) p.kill('SIGKILL');
      await sleep(300);
    },
  };
};
