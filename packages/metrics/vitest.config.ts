import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/metrics', include: ['test/**/*.test.ts'] },
});
