// One vitest run over every package: unit tests beside the code, integration tests in test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'loadtest/*.test.ts',
      'loadtest/chaos/*.test.ts',
      'deploy/*.test.ts',
    ],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration files start real processes; two at a time suits a 2-core machine.
    maxWorkers: 2,
  },
});
