import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '@evdm/diffusion', include: ['test/**/*.test.ts'] },
});
