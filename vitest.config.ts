// One vitest run over every package: unit tests beside the code, integration tests in test/, then the chaos
// scenarios. Integration files start real processes, so two files at a time suit a 2-core machine; the chaos
// scenarios compare latencies against baselines, so they run after the rest, one at a time, on a quiet machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'services/*/test/**/*.test.ts',
            'deploy/*.test.ts',
          ],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          // the k6 and bench smokes too: a load test measures the node, not the other test file beside it
          include: ['loadtest/*.test.ts', 'loadtest/bench/*.test.ts', 'loadtest/chaos/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'containers',
          // the image built with podman, compose.yaml and the manifests run in containers; they publish fixed
          // host ports (8080, 8090), so one file at a time, last
          include: ['deploy/podman/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
