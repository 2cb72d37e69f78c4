import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/datasets', include: ['test/**/*.test.ts'] },
});
