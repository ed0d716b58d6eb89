import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Tests that boot the app share nothing, so a clean module graph per file keeps them independent.
    isolate: true,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The entrypoints only wire process signals and ports; the generator's boot test covers them.
      exclude: ['src/server.ts', 'src/instrumentation.ts'],
      reporter: ['text-summary', 'lcov'],
      thresholds: {
        lines: 85,
        statements: 85,
        functions: 85,
        branches: 75,
      },
    },
  },
});
