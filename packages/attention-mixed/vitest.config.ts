import { defineProject } from 'vitest/config';

export default defineProject({
  // generous per-test timeout: the machine is shared and timings are noisy
  test: { name: '@evdm/attention-mixed', include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
