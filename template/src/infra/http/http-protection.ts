import { getHeapStatistics } from 'node:v8';

import cors from '@fastify/cors';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';

import { AdmissionControl, installAdmissionGate } from './admission-control.js';
import { RateLimiter, registerRateLimit, type SharedCounter } from './rate-limit.js';

export interface HttpProtectionOptions {
  readonly corsOrigins: readonly string[];
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Counts shared by every instance (Redis), so the limit holds across them; else per instance. */
  readonly rateLimitCounter?: SharedCounter | undefined;
  /**
   * Event-loop time a turn may spend on requests before the rest of that turn's requests are
   * refused with 503 + Retry-After (admission control).
   */
  readonly maxEventLoopDelayMs: number;
}

// Past these limits the service sheds load with 503 + Retry-After instead of slowing for everyone.
const MAX_HEAP_SHARE = 0.9;
const MAX_MEMORY_SHARE = 0.9;
const MEMORY_PRESSURE_RETRY_AFTER_SECONDS = 10;

/** Route config for operational endpoints: probes and scrapes must work even under pressure. */
export const operationalRouteConfig = {
  rateLimit: false,
  pressureHandler: () => undefined,
} as const;

/** Answered however loaded the service is: an orchestrator must tell busy from dead. */
export const ADMISSION_EXEMPT_PATHS = ['/health/live', '/health/ready', '/metrics'] as const;

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

/**
 * Admission control, security headers, CORS allow-list, per-client rate limit and memory
 * pressure shedding. Returns the admission control, whose figures the metrics report.
 */
export async function registerHttpProtection(
  app: FastifyInstance,
  options: HttpProtectionOptions,
): Promise<AdmissionControl> {
  // First of all: a request refused for overload costs as little as Node can answer it for.
  const admission = new AdmissionControl({ maxDelayMs: options.maxEventLoopDelayMs });
  installAdmissionGate(app.server, admission, {
    exemptPaths: ADMISSION_EXEMPT_PATHS,
    headers: API_SECURITY_HEADERS,
  });
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
  // Memory only: a heap or RSS near its limit refuses work until collection frees some. Load is
  // the admission control's: a mean event-loop delay over a second, once past its threshold,
  // refused every request, so refusals alone kept the loop behind and goodput collapsed.
  await app.register(underPressure, {
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * MAX_HEAP_SHARE),
    ...(memoryLimit > 0 ? { maxRssBytes: Math.floor(memoryLimit * MAX_MEMORY_SHARE) } : {}),
    retryAfter: MEMORY_PRESSURE_RETRY_AFTER_SECONDS,
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
  return admission;
}
