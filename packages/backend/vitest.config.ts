import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/backend', include: ['test/**/*.test.ts'] },
});
