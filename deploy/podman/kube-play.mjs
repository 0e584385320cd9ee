#!/usr/bin/env node
// Runs a kustomize overlay with `podman kube play` (podman 4.3, no Kubernetes), translating only what kube
// play cannot take as it is, and saying so:
//   node deploy/podman/kube-play.mjs up [overlay]     (default deploy/k8s/overlays/dev)
//   node deploy/podman/kube-play.mjs down [overlay]
// - Secret: podman 4.3 reads a `secretRef` from a podman secret holding a JSON map, and cannot make one from
//   a Secret document; each Secret becomes such a podman secret.
// - StatefulSet: not a kind kube play knows; it runs as a Deployment of the same pod template, its
//   volumeClaimTemplates as PersistentVolumeClaims (podman volumes).
// - Service: kube play ignores it, and podman has no cluster DNS. Workloads are played backends first, and
//   each pod gets `hostAliases` naming every Service whose pods already run (their addresses), so
//   `redis://redis:6379` resolves as it would in a cluster. A Service with several pods resolves to the
//   first; clients of the gateway Service connect to the pods themselves (the test does).
// - containerPort: published on the host by podman before 4.8 (three replicas cannot share it): dropped.
// - An httpGet liveness probe: kube play runs it with curl inside the container, which the image lacks; it
//   becomes the same GET with node.
// - HorizontalPodAutoscaler, PodDisruptionBudget: nothing to do them; ignored, and printed.
// Prints one JSON line: every pod with its address, labels and containers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [action = 'up', overlay = join(root, 'deploy/k8s/overlays/dev')] = process.argv.slice(2);
const podman = (...args) => execFileSync('podman', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
const quietly = (...args) => {
  try {
    return podman(...args);
  } catch {
    return '';
  }
};

const docs = parseAllDocuments(
  execFileSync(join(root, 'deploy/tools/.bin/kustomize'), ['build', overlay], { encoding: 'utf8' }),
)
  .map((d) => d.toJS())
  .filter(Boolean);
const ofKind = (...kinds) => docs.filter((d) => kinds.includes(d.kind));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// Workloads as kube play takes them: Deployments, and StatefulSets turned into Deployments.
const claims = [];
const workloads = ofKind('StatefulSet', 'Deployment').map((w) => {
  if (w.kind === 'Deployment') return w;
  const spec = structuredClone(w.spec.template.spec);
  spec.volumes ??= [];
  for (const t of w.spec.volumeClaimTemplates ?? []) {
    const claimName = `${t.metadata.name}-${w.metadata.name}`;
    claims.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claimName }, spec: t.spec });
    spec.volumes.push({ name: t.metadata.name, persistentVolumeClaim: { claimName } });
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: w.metadata,
    spec: {
      replicas: w.spec.replicas ?? 1,
      selector: w.spec.selector,
      template: { metadata: w.spec.template.metadata, spec },
    },
  };
});
const services = ofKind('Service');
// Backends first: a workload is played once the Services it names (in its template or its ConfigMaps) have pods.
const configOf = (name) => docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === name);
const textOf = (w) =>
  JSON.stringify([
    w.spec.template,
    ...[...JSON.stringify(w.spec.template).matchAll(/"name":"([^"]+)"/g)].map((m) => configOf(m[1])),
  ]);
const backs = (s, w) => matches(s.spec.selector, w.spec.template.metadata.labels);
const needs = (w) => services.filter((s) => !backs(s, w) && new RegExp(`[/"]${s.metadata.name}[:"]`).test(textOf(w)));
const order = [];
while (order.length < workloads.length) {
  const ready = workloads.filter((w) => !order.includes(w) && needs(w).every((s) => order.some((o) => backs(s, o))));
  order.push(...(ready.length ? ready.slice(0, 1) : workloads.filter((w) => !order.includes(w)).slice(0, 1)));
}
const podsOf = (w) => {
  const name = w.metadata.name;
  return quietly(
    'pod',
    'ps',
    '--filter',
    `label=app.kubernetes.io/name=${w.spec.template.metadata.labels['app.kubernetes.io/name']}`,
    '--format',
    '{{.Name}}',
  )
    .split('\n')
    .filter((p) => p.startsWith(`${name}-pod`));
};

if (action === 'down') {
  for (const w of workloads) for (const pod of podsOf(w)) quietly('pod', 'rm', '-f', '-t', '0', pod);
  for (const s of ofKind('Secret')) quietly('secret', 'rm', s.metadata.name);
  for (const c of claims) quietly('volume', 'rm', '-f', c.metadata.name);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'chorus-kube-'));
for (const s of ofKind('Secret')) {
  const data = { ...s.data };
  for (const [k, v] of Object.entries(s.stringData ?? {})) data[k] = Buffer.from(v).toString('base64');
  quietly('secret', 'rm', s.metadata.name);
  // a JSON map of base64 values: how podman 4.3 decodes a secret into a map of byte strings
  writeFileSync(join(dir, 'secret.json'), JSON.stringify(data));
  podman('secret', 'create', s.metadata.name, join(dir, 'secret.json'));
}
const config = ofKind('ConfigMap');
const addressOf = (pod) => {
  const infra = JSON.parse(podman('pod', 'inspect', pod)).InfraContainerID;
  return podman('inspect', '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', infra).trim();
};
// podman before 4.8 publishes every containerPort on the host's same port (containers/podman#17028), which
// replicas cannot share: the ports list goes, and probes that name a port get its number.
const unpublish = (c) => {
  const number = (port) => c.ports?.find((p) => p.name === port)?.containerPort ?? port;
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe])
    for (const action of [probe?.httpGet, probe?.tcpSocket]) if (action) action.port = number(action.port);
  delete c.ports;
  // kube play runs an httpGet liveness probe as `curl -f …` inside the container, and the image has no curl (a
  // kubelet probes from outside): the same request with the image's own node.
  const get = c.livenessProbe?.httpGet;
  if (get) {
    const url = `http://127.0.0.1:${get.port}${get.path ?? '/'}`;
    const script = `fetch('${url}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
    // one shell-safe string: podman joins an exec probe's arguments into a CMD-SHELL line unquoted
    c.livenessProbe = { ...c.livenessProbe, httpGet: undefined, exec: { command: [`node -e "${script}"`] } };
  }
};
const pods = [];
for (const w of order) {
  const aliases = services.flatMap((s) => {
    const backend = pods.find((p) => matches(s.spec.selector, p.labels));
    return backend ? [{ ip: backend.address, hostnames: [s.metadata.name] }] : [];
  });
  if (aliases.length) w.spec.template.spec.hostAliases = aliases;
  for (const c of w.spec.template.spec.containers) unpublish(c);
  const file = join(dir, `${w.metadata.name}.yaml`);
  const own = claims.filter((c) =>
    w.spec.template.spec.volumes?.some((v) => v.persistentVolumeClaim?.claimName === c.metadata.name),
  );
  writeFileSync(file, [...config, ...own, w].map((d) => stringify(d)).join('---\n'));
  podman('kube', 'play', file);
  for (const pod of podsOf(w)) {
    pods.push({ pod, workload: w.metadata.name, labels: w.spec.template.metadata.labels, address: addressOf(pod) });
  }
}
const ignored = ofKind('HorizontalPodAutoscaler', 'PodDisruptionBudget').map((d) => `${d.kind}/${d.metadata.name}`);
process.stdout.write(
  `${JSON.stringify({ pods, ignored, translated: { services: services.map((s) => s.metadata.name) } })}\n`,
);
