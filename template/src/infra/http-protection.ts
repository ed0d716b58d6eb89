import { getHeapStatistics } from 'node:v8';

import cors from '@fastify/cors';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';

import { RateLimiter, registerRateLimit, type SharedCounter } from './rate-limit.js';

export interface HttpProtectionOptions {
  readonly corsOrigins: readonly string[];
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Counts shared by every instance (Redis), so the limit holds across them; else per instance. */
  readonly rateLimitCounter?: SharedCounter | undefined;
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
 * Security headers of every response, per the OWASP REST Security Cheat Sheet. JSON is never
 * rendered as a page, so it needs no script policy: it must not be framed, sniffed as another
 * media type or read by other origins' pages, and browsers must keep to HTTPS. Set once per
 * response from one shared object: building helmet's middleware per request halved throughput.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

/**
 * Fastify's `trustProxy` for the configured proxies: a hop count trusts that many nearest hops,
 * addresses and networks trust exactly those peers, and false trusts none.
 */
export function proxyTrust(
  trusted: false | number | string,
): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trusted === 'number' ? (_address, hop) => hop < trusted : trusted;
}

/** Security headers, CORS allow-list, per-client rate limit and overload shedding. */
export async function registerHttpProtection(
  app: FastifyInstance,
  options: HttpProtectionOptions,
): Promise<void> {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(API_SECURITY_HEADERS);
    done();
  });
  await app.register(cors, {
    // An empty allow-list means no cross-origin browser access at all.
    origin: options.corsOrigins.length > 0 ? [...options.corsOrigins] : false,
    // A plain OPTIONS (no Origin) gets an empty 204 rather than a text/plain 400 outside the
    // problem+json contract; CORS headers are still only granted to allowed origins.
    strictPreflight: false,
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
  // After shedding: an overloaded instance refuses work before spending any on counting it.
  registerRateLimit(
    app,
    new RateLimiter({
      ...options.rateLimit,
      sharedCounter: options.rateLimitCounter,
      logger: app.log,
    }),
  );
}
