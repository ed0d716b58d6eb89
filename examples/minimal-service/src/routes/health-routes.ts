import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

import { operationalRouteConfig } from '../infra/http/http-protection.js';
import type { Readiness, ReadinessReport } from '../infra/readiness.js';

// Duration and error appear only outside production: a public probe must not tell strangers
// database names, addresses or driver messages (they are logged instead).
const checkResultSchema = z.object({
  status: z.enum(['ok', 'failed']),
  durationMs: z.number().optional(),
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
  /** Each check's duration and error in the readiness body; false names checks and states only. */
  readonly exposeCheckDetails: boolean;
}

/** Probes stay outside auth, rate limits and overload shedding: they must always answer. */
export const healthRoutes: FastifyPluginCallbackZod<HealthRoutesOptions> = (
  app,
  { readiness, exposeCheckDetails },
  done,
) => {
  app.get(
    '/health/live',
    {
      config: operationalRouteConfig,
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness: the process is running and its event loop responds',
        tags: ['operations'],
        security: [],
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
        operationId: 'getReadiness',
        summary: 'Readiness: every dependency answers and the service is not draining',
        tags: ['operations'],
        security: [],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const report = await readiness.evaluate();
      const body = exposeCheckDetails ? report : withoutDetails(report);
      return reply.code(report.status === 'ok' ? 200 : 503).send(body);
    },
  );
  done();
};

function withoutDetails(report: ReadinessReport): z.output<typeof readinessSchema> {
  const checks = Object.entries(report.checks).map(
    ([name, { status }]) => [name, { status }] as const,
  );
  return { status: report.status, checks: Object.fromEntries(checks) };
}
