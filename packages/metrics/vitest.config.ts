import { defineProject } from 'vitest/config';

export default defineProject({
  // the I3D / D=400 tests take seconds on a loaded machine; vitest's default 5 s is too tight
  test: { name: '@evdm/metrics', include: ['test/**/*.test.ts'], testTimeout: 120_000 },
});
