// deploy/Dockerfile built with podman (base image made here from Debian packages), run as it ships.
import { randomBytes } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { podman } from './end-to-end.js';
import { makeImages, waitForHttp } from './support.js';
import { freePort } from '@chorus/test-kit';

// each container file makes sure of the images (cached: seconds when nothing changed), so a podman failure
// fails these files, not the whole run
beforeAll(makeImages, 900_000);

it('starts as non-root with the native uWebSockets.js, and its HEALTHCHECK passes', async () => {
  const port = await freePort();
  const name = `chorus-image-test-${process.pid}`;
  await podman(
    'run',
    '-d',
    '--name',
    name,
    '-p',
    `127.0.0.1:${port}:8080`,
    '-e',
    `ADMIN_TOKEN=${randomBytes(16).toString('hex')}`,
    'localhost/chorus:latest',
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 20_000);
    expect((await podman('exec', name, 'id', '-u')).trim()).toBe('1000');
    // the gateway refuses uWS's pure-JS fallback at start; this asks the module itself, in the image
    const native = await podman(
      'exec',
      name,
      'node',
      '-e',
      "console.log(String(require('/app/services/gateway/node_modules/uWebSockets.js').App).includes('[native code]'))",
    );
    expect(native.trim()).toBe('true');
    // the Dockerfile's HEALTHCHECK, run by podman as an orchestrator would (no systemd timers here)
    await podman('healthcheck', 'run', name);
    expect(JSON.parse(await podman('inspect', name))[0].Config.Healthcheck.Test.join(' ')).toMatch(/healthz/);
    // PID 1 is tini, so SIGTERM reaches node, which drains and exits 0
    expect((await podman('exec', name, 'cat', '/proc/1/comm')).trim()).toBe('tini');
    await podman('stop', '-t', '30', name);
    expect((await podman('inspect', '--format', '{{.State.ExitCode}}', name)).trim()).toBe('0');
    expect(await podman('logs', name)).toMatch(/"msg":"draining"/);
  } finally {
    await podman('rm', '-f', name).catch(() => undefined);
  }
}, 60_000);
