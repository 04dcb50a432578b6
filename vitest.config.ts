import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process: files run in separate forks, one at a time on 2 cores.
    pool: 'forks',
    fileParallelism: false,
  },
});
