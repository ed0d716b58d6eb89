import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Unit and API tests need no server. Integration tests, where the project has them, need real
    // servers and run with their own configuration (`npm run test:integration`).
    include: ['test/unit/**/*.test.ts', 'test/api/**/*.test.ts'],
    environment: 'node',
    // Tests that boot the app share nothing, so a clean module graph per file keeps them independent.
    isolate: true,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The entrypoints only wire signals and ports, which only a started process exercises.
      exclude: [
        'src/server.ts',
        'src/instrumentation.ts',
        // Adapters for real servers, where the project has them: its integration tests cover them.
        'src/migrate.ts',
        'src/stores.ts',
        'src/infra/postgres/{database,migrator}.ts',
        'src/infra/redis/redis.ts',
        'src/repositories/{postgres,redis}-*.ts',
        // The worker and the broker clients, covered by the integration tests against the broker.
        'src/worker.ts',
        'src/worker-app.ts',
        'src/infra/queue/{bullmq,rabbitmq}-confirmation-queue.ts',
        'src/infra/queue/consumer-*.ts',
        'src/infra/redis/redis-processed-jobs.ts',
        'src/infra/metrics/worker-metrics.ts',
        'src/infra/outbox/*.ts',
        'src/repositories/outbox-order-repository.ts',
      ],
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
