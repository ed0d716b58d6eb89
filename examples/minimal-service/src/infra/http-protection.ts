import { IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { getHeapStatistics } from 'node:v8';

import cors from '@fastify/cors';
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

import { RateLimitedError } from '../errors/app-errors.js';

export interface HttpProtectionOptions {
  readonly corsOrigins: readonly string[];
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** A shared counter store (Redis), so the limit holds across instances; in-process otherwise. */
  readonly rateLimitStore?:
    Pick<RateLimitPluginOptions, 'redis' | 'nameSpace' | 'skipOnError'> | undefined;
  /** Mean event-loop delay (over 1 s) past which requests are shed with 503 + Retry-After. */
  readonly maxEventLoopDelayMs: number;
}

// Past these limits the service sheds load with 503 + Retry-After instead of slowing for everyone.
const MAX_HEAP_SHARE = 0.9;
const MAX_MEMORY_SHARE = 0.9;
const OVERLOAD_RETRY_AFTER_SECONDS = 10;

/** Route config for operational endpoints: probes and scrapes must work even under pressure. */
export const operationalRouteConfig = {
  rateLimit: false,
  pressureHandler: () => undefined,
} as const;

/**
 * Helmet's default security headers, computed once. They are the same for every response, and
 * building helmet's middleware per request (as @fastify/helmet does) halved throughput.
 */
export function securityHeaders(): OutgoingHttpHeaders {
  const response = new ServerResponse(new IncomingMessage(new Socket()));
  helmet()(response.req, response, () => undefined);
  return response.getHeaders();
}

/** Security headers, CORS allow-list, per-client rate limit and overload shedding. */
export async function registerHttpProtection(
  app: FastifyInstance,
  options: HttpProtectionOptions,
): Promise<void> {
  const headers = securityHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  await app.register(cors, {
    // An empty allow-list means no cross-origin browser access at all.
    origin: options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
    // A plain OPTIONS (no Origin) gets an empty 204 rather than a text/plain 400 outside the
    // problem+json contract; CORS headers are still only granted to allowed origins.
    strictPreflight: false,
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
    // Event-loop delay grows with the work queued in the process, so it tracks the wait every
    // request sees. Utilization does not: a loop busy 100 % of the time with short queues serves
    // everyone fast, and shedding there only refuses work the instance could do.
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * MAX_HEAP_SHARE),
    ...(memoryLimit > 0 ? { maxRssBytes: Math.floor(memoryLimit * MAX_MEMORY_SHARE) } : {}),
    retryAfter: OVERLOAD_RETRY_AFTER_SECONDS,
  });
}
