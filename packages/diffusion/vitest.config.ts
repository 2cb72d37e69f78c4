import { defineProject } from 'vitest/config';

export default defineProject({
  // 1000-step sampler runs take a few seconds on a busy 2-core machine.
  test: { name: '@evdm/diffusion', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
