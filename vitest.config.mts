import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons and worker threads do not mix well; each test file gets its own process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
