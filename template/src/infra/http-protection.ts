import { getHeapStatistics } from 'node:v8';

import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';

import { RateLimitedError } from '../errors/app-errors.js';

export interface HttpProtectionOptions {
  readonly corsOrigins: readonly string[];
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** A shared counter store (Redis), so the limit holds across instances; in-process otherwise. */
  readonly rateLimitStore?:
    Pick<RateLimitPluginOptions, 'redis' | 'nameSpace' | 'skipOnError'> | undefined;
}

// Past these limits the service sheds load with 503 + Retry-After instead of slowing for everyone.
const MAX_EVENT_LOOP_DELAY_MS = 1_000;
const MAX_EVENT_LOOP_UTILIZATION = 0.98;
const MAX_HEAP_SHARE = 0.9;
const MAX_MEMORY_SHARE = 0.9;
const OVERLOAD_RETRY_AFTER_SECONDS = 10;

/** Route config for operational endpoints: probes and scrapes must work even under pressure. */
export const operationalRouteConfig = {
  rateLimit: false,
  pressureHandler: () => undefined,
} as const;

/** Security headers, CORS allow-list, per-client rate limit and overload shedding. */
export async function registerHttpProtection(
  app: FastifyInstance,
  options: HttpProtectionOptions,
): Promise<void> {
  await app.register(helmet);
  await app.register(cors, {
    // An empty allow-list means no cross-origin browser access at all.
    origin: options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
  });
  await app.register(rateLimit, {
    ...options.rateLimitStore,
    max: options.rateLimit.max,
    timeWindow: options.rateLimit.windowMs,
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(
        `Rate limit of ${String(context.max)} requests exceeded; retry in ${context.after}.`,
        Math.ceil(context.ttl / 1000),
      ),
  });

  // A container's memory limit, when the runtime can see one (cgroups); 0 means unknown.
  const memoryLimit = process.constrainedMemory();
  await app.register(underPressure, {
    maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
    maxEventLoopUtilization: MAX_EVENT_LOOP_UTILIZATION,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * MAX_HEAP_SHARE),
    ...(memoryLimit > 0 ? { maxRssBytes: Math.floor(memoryLimit * MAX_MEMORY_SHARE) } : {}),
    retryAfter: OVERLOAD_RETRY_AFTER_SECONDS,
  });
}
