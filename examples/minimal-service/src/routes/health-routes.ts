import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { operationalRouteConfig } from '../infra/http-protection.js';
import type { Readiness } from '../infra/readiness.js';

const checkResultSchema = z.object({
  status: z.enum(['ok', 'failed']),
  durationMs: z.number(),
  error: z.string().optional(),
});

const readinessSchema = z
  .object({
    status: z.enum(['ok', 'failed', 'draining']),
    checks: z.record(z.string(), checkResultSchema),
  })
  .meta({ id: 'Readiness' });

export interface HealthRoutesOptions {
  readonly readiness: Readiness;
}

/** Probes stay outside auth, rate limits and overload shedding: they must always answer. */
export const healthRoutes: FastifyPluginCallbackZod<HealthRoutesOptions> = (
  app,
  { readiness },
  done,
) => {
  app.get(
    '/health/live',
    {
      config: operationalRouteConfig,
      schema: {
        summary: 'Liveness: the process is running and its event loop responds',
        tags: ['operations'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: operationalRouteConfig,
      schema: {
        summary: 'Readiness: every dependency answers and the service is not draining',
        tags: ['operations'],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const report = await readiness.evaluate();
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    },
  );
  done();
};
