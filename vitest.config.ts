import { defineConfig } from 'vitest/config';

// One vitest project per package; each package may add its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*'],
    // tfjs kernels are single-threaded; two forks use both cores without thrashing.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
