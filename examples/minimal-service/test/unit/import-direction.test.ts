import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// The real project config, minus type information: the fixtures exist only in memory.
const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfig: [tseslint.configs.disableTypeChecked],
});

async function ruleViolations(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((message) => message.ruleId ?? message.message);
}

// The first lint loads ESLint's plugins and the TypeScript parser: seconds on a busy CI runner.
describe('architecture lint rules', { timeout: 30_000 }, () => {
  it('when a service imports Fastify, then lint fails', async () => {
    const violations = await ruleViolations(
      "import Fastify from 'fastify';\nexport const app = Fastify();\n",
      'src/services/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a service imports from infra, then lint fails', async () => {
    const violations = await ruleViolations(
      "export { createLogger } from '../infra/logger.js';\n",
      'src/services/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a repository imports a service, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { OrderService } from '../services/order-service.js';\n",
      'src/repositories/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when an adapter in an infra subfolder imports a repository, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { OrderRepository } from '../../repositories/order-repository.js';\n",
      'src/infra/postgres/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a job imports from infra, then lint fails', async () => {
    const violations = await ruleViolations(
      "export { createRedisClient } from '../infra/redis/redis.js';\n",
      'src/jobs/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a job imports a logging package, then lint fails', async () => {
    const violations = await ruleViolations(
      "import pino from 'pino';\nexport const logger = pino();\n",
      'src/jobs/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a CPU task imports a service, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { OrderService } from '../services/order-service.js';\n",
      'src/cpu/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a controller imports a job, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { OrderConfirmationJob } from '../jobs/order-confirmation.js';\n",
      'src/controllers/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when code outside config reads process.env, then lint fails', async () => {
    const violations = await ruleViolations(
      "export const port = process.env['PORT'];\n",
      'src/routes/violation.ts',
    );

    expect(violations).toContain('no-restricted-properties');
  });

  it('when a feature module imports a route, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { RouteOptions } from '../routes/route-options.js';\n",
      'src/features/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a feature module imports Fastify, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { FastifyInstance } from 'fastify';\n",
      'src/features/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a service imports a feature module, then lint fails', async () => {
    const violations = await ruleViolations(
      "export type { FeatureContext } from '../features/context.js';\n",
      'src/services/violation.ts',
    );

    expect(violations).toContain('no-restricted-imports');
  });

  it('when a feature module imports infrastructure and a service, then lint passes', async () => {
    const violations = await ruleViolations(
      "export type { Lifecycle } from '../infra/lifecycle.js';\n" +
        "export type { OrderService } from '../services/order-service.js';\n",
      'src/features/allowed.ts',
    );

    expect(violations).toEqual([]);
  });

  it('when a queue adapter imports a job port, then lint passes', async () => {
    const violations = await ruleViolations(
      "export type { ConfirmationPublisher } from '../../jobs/confirmation-queue.js';\n",
      'src/infra/queue/allowed.ts',
    );

    expect(violations).toEqual([]);
  });

  it('when a controller imports a service, then lint passes', async () => {
    const violations = await ruleViolations(
      "export type { OrderService } from '../services/order-service.js';\n",
      'src/controllers/allowed.ts',
    );

    expect(violations).toEqual([]);
  });
});
