import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tools/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start servers on random ports and share one PostgreSQL database;
    // files that touch PostgreSQL use their own schema, so files may run in parallel.
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
