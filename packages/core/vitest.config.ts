import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/core', include: ['test/**/*.test.ts'] },
});
