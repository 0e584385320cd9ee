// The dev overlay (kustomize output) run by `podman kube play` through deploy/podman/kube-play.mjs: the
// gateway Deployment's three pods, the dashboard, and Redis, from the images made here; then the same
// end-to-end check, with clients given the pods' addresses (kube play has no Service to balance them).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { endToEnd, podman } from './end-to-end.js';
import { makeImages, root, waitForHttp } from './support.js';

const run = promisify(execFile);
const OVERLAY = `${root}deploy/k8s/overlays/dev`;
const kubePlay = async (action: 'up' | 'down') =>
  (await run('node', [`${root}deploy/podman/kube-play.mjs`, action, OVERLAY], { timeout: 120_000 })).stdout;

interface Played {
  pods: Array<{ pod: string; workload: string; address: string }>;
  ignored: string[];
}
let played: Played;

beforeAll(async () => {
  makeImages();
  await kubePlay('down');
  played = JSON.parse(await kubePlay('up')) as Played;
}, 900_000);
afterAll(() => kubePlay('down'), 120_000);

it('the dev overlay runs in pods: a message crosses them; a stopped pod drains, a killed one is recovered from', async () => {
  const gateways = played.pods.filter((p) => p.workload === 'chorus-gateway');
  const dashboard = played.pods.find((p) => p.workload === 'chorus-dashboard')!;
  expect(gateways).toHaveLength(3); // the Deployment's replicas
  expect(played.pods.map((p) => p.workload)).toContain('redis'); // the StatefulSet, run as a Deployment
  expect(played.ignored.sort()).toEqual([
    'HorizontalPodAutoscaler/chorus-gateway',
    'PodDisruptionBudget/chorus-gateway',
  ]);
  for (const g of gateways) await waitForHttp(`http://${g.address}:8080/readyz`, 60_000);
  await waitForHttp(`http://${dashboard.address}:8090/healthz`, 60_000);
  // the liveness probes, as podman runs them (there is no systemd here to schedule them)
  for (const container of [...gateways.map((g) => `${g.pod}-gateway`), `${dashboard.pod}-dashboard`])
    await podman('healthcheck', 'run', container);

  const docs = parseAllDocuments((await run(`${root}deploy/tools/.bin/kustomize`, ['build', OVERLAY])).stdout).map(
    (d) => d.toJS() as { kind: string; data?: Record<string, string> },
  );
  const secret = docs.find((d) => d.kind === 'Secret')!.data!;
  const token = Buffer.from(secret.ADMIN_TOKEN!, 'base64').toString();

  const grace = (await podman('inspect', '--format', '{{.Config.StopTimeout}}', `${gateways[0]!.pod}-gateway`)).trim();
  const report = await endToEnd({
    urlsFor: (i) => gateways.map((_, k) => `ws://${gateways[(i + k) % gateways.length]!.address}:8080/ws`),
    // NODE_ID is the pod's name (the Downward API's metadata.name)
    containers: new Map(gateways.map((g) => [g.pod, `${g.pod}-gateway`])),
    // terminationGracePeriodSeconds, as a kubelet would give it
    stop: (node) => podman('stop', '-t', '35', `${node}-gateway`),
    dashboard: { url: `http://${dashboard.address}:8090`, token },
  });
  console.log('kube play end-to-end', JSON.stringify({ ...report, podmanStopTimeout: grace }));
}, 240_000);
