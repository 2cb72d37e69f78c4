import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/attention-mixed', include: ['test/**/*.test.ts'] },
});
