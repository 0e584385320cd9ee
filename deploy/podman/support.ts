// What the container tests share: the images made once per run, and a wait for an HTTP endpoint.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from '@chorus/test-kit';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** deploy/podman/images.sh: the base and stand-in images (cached) and the chorus image from the current tree. */
export const makeImages = (): void => {
  execFileSync('bash', [`${root}deploy/podman/images.sh`], { stdio: ['ignore', 'ignore', 'inherit'] });
};

export const waitForHttp = async (url: string, ms: number): Promise<void> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => null);
    if (res?.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${ms} ms (last: ${res?.status ?? 'no answer'})`);
    await sleep(200);
  }
};
