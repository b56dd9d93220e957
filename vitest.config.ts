import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: { TITAN_VERSION: JSON.stringify('0.0.0-test'), TITAN_BUILD: JSON.stringify('0.0.0-test') },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
