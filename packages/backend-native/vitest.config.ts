import { defineProject } from 'vitest/config';

// Generous per-test timeout: CI and developer machines are 2-core and often busy; speed is measured
// in the bench scripts, never asserted here.
export default defineProject({
  test: { name: '@evdm/backend-native', include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
