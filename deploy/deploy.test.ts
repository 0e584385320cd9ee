// The deployment files, checked without a Docker engine or a Kubernetes cluster: kustomize renders every
// overlay and each manifest validates against the Kubernetes schemas; compose.yaml validates against the
// Compose specification and its topology runs as plain processes; the scripts pass ShellCheck.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (tool: string) => `${root}deploy/tools/.bin/${tool}`;

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
};
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

const render = (overlay: string): Manifest[] => {
  const text = execFileSync(bin('kustomize'), ['build', `${root}deploy/k8s/overlays/${overlay}`], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJSON() as Manifest);
};
const find = (manifests: Manifest[], kind: string, name: string) => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name.startsWith(name));
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as Manifest & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- manifests are checked field by field below
};

describe.each(['dev', 'prod'])('the %s overlay', (overlay) => {
  const manifests = render(overlay);

  it('renders, and every manifest validates against its Kubernetes schema', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const m of manifests) {
      const Model = MODELS[`${m.apiVersion}/${m.kind}`];
      expect(Model, `${m.apiVersion} ${m.kind} has no schema here`).toBeDefined();
      expect(() => new Model!(m as never).validate(), `${m.kind}/${m.metadata.name}`).not.toThrow();
      expect(m.metadata.namespace).toBe(overlay === 'dev' ? 'chorus-dev' : 'chorus');
    }
  });

  it('runs gateways an operator can trust: probes, drain, resources, spread, scraping, budgets', () => {
    const gateway = find(manifests, 'Deployment', 'chorus-gateway');
    const pod = gateway.spec.template.spec;
    const container = pod.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
    const config = find(manifests, 'ConfigMap', 'chorus-config').data;
    // The pod must outlive preStop + the whole drain window, or clients would be cut instead of moved.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(5 + Number(config.DRAIN_MS) / 1000);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.affinity.podAntiAffinity).toBeDefined();
    expect(gateway.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
    });
    expect(gateway.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(find(manifests, 'PodDisruptionBudget', 'chorus-gateway').spec.maxUnavailable).toBe(1);
    expect(find(manifests, 'HorizontalPodAutoscaler', 'chorus-gateway').spec.scaleTargetRef.name).toBe(
      'chorus-gateway',
    );
    expect(
      container.envFrom.map(
        (e: { configMapRef?: { name: string }; secretRef?: { name: string } }) =>
          e.configMapRef?.name ?? e.secretRef?.name,
      ),
    ).toEqual([
      config === undefined ? '' : find(manifests, 'ConfigMap', 'chorus-config').metadata.name,
      overlay === 'dev' ? find(manifests, 'Secret', 'chorus-secrets').metadata.name : 'chorus-secrets',
    ]);
    find(manifests, 'Deployment', 'chorus-dashboard');
    find(manifests, 'Service', 'chorus-dashboard');
  });

  it('keeps secrets out of ConfigMaps', () => {
    const config = find(manifests, 'ConfigMap', 'chorus-config').data as Record<string, string>;
    for (const key of ['JWT_SECRET', 'ADMIN_TOKEN']) expect(config[key]).toBeUndefined();
    expect(config.REDIS_URL).not.toMatch(/:[^/]*@/); // no password in the URL
    if (overlay === 'prod')
      expect(config).toMatchObject({ REDIS_CLUSTER: 'true', REDIS_URL: expect.stringMatching(/^rediss:/) });
    if (overlay === 'dev') find(manifests, 'StatefulSet', 'redis');
  });
});

/** What an operator exports before `compose up`. */
const composeEnv = { ...process.env, ADMIN_TOKEN: 'compose-admin-token-for-tests' };

describe('compose.yaml', () => {
  it('validates against the Compose specification (compose-go) and wires the topology', () => {
    const project = JSON.parse(
      execFileSync(bin('compose-validate'), [`${root}deploy/compose.yaml`], { encoding: 'utf8', env: composeEnv }),
    ) as {
      services: Record<
        string,
        { environment?: Record<string, string>; healthcheck?: unknown; stop_grace_period?: string }
      >;
    };
    expect(Object.keys(project.services).sort()).toEqual([
      'dashboard',
      'gateway-1',
      'gateway-2',
      'gateway-3',
      'lb',
      'redis',
    ]);
    for (const n of [1, 2, 3]) {
      expect(project.services[`gateway-${n}`]!.environment).toMatchObject({
        NODE_ID: `gateway-${n}`,
        REDIS_URL: 'redis://redis:6379',
      });
    }
    expect(project.services.redis!.healthcheck).toBeDefined();
  });

  it('is refused by the same validator when it breaks the specification', () => {
    const broken = readFileSync(`${root}deploy/compose.yaml`, 'utf8').replace(
      '    restart: unless-stopped\n',
      '    restart: sometimes\n    restrat: no\n',
    );
    mkdirSync(`${root}test-artifacts`, { recursive: true });
    const path = `${root}test-artifacts/broken-compose.yaml`;
    writeFileSync(path, broken);
    expect(() =>
      execFileSync(bin('compose-validate'), [path], { encoding: 'utf8', stdio: 'pipe', env: composeEnv }),
    ).toThrow();
  });

  it('will not start without an ADMIN_TOKEN (no shipped default)', () => {
    const env = { ...process.env, ADMIN_TOKEN: '' };
    expect(() =>
      execFileSync(bin('compose-validate'), [`${root}deploy/compose.yaml`], { encoding: 'utf8', stdio: 'pipe', env }),
    ).toThrow(/ADMIN_TOKEN/);
  });
});

describe('scripts', () => {
  it('pass ShellCheck', () => {
    const scripts = [
      ...readdirSync(`${root}scripts`)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => `${root}scripts/${f}`),
      `${root}loadtest/install-k6.sh`,
      `${root}loadtest/bench/profile/cpu-share.sh`,
      `${root}deploy/tools/install.sh`,
      ...readdirSync(`${root}deploy/podman`)
        .filter((f) => f.endsWith('.sh'))
        .map((f) => `${root}deploy/podman/${f}`),
      `${root}deploy/podman/stand-ins/redis/docker-entrypoint.sh`,
      `${root}.ci/run`,
    ];
    expect(() =>
      execFileSync('shellcheck', ['--shell=bash', '-x', ...scripts], { encoding: 'utf8', stdio: 'pipe' }),
    ).not.toThrow();
  });
});
