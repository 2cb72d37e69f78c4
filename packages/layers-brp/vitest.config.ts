import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/layers-brp', include: ['test/**/*.test.ts'] },
});
