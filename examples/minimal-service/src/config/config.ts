import { isIP } from 'node:net';

import { z } from 'zod';

import { commaSeparated, integer, parseEnv } from './env.js';
import {
  type MemoryStoresConfig,
  memoryStoresConfigFrom,
  memoryStoresEnvShape,
} from './memory-stores-config.js';

export { ConfigError } from './env.js';

/** An IPv4 or IPv6 address, optionally with a /prefix naming a network. */
function isAddressOrNetwork(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  const maxPrefix = version === 4 ? 32 : 128;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
}

// The proxies in front of the service, whose X-Forwarded-For is believed: a number of hops, or
// their addresses and networks (comma-separated, as Fastify takes them).
const trustedProxies = z.string().transform((value, context): number | string => {
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) {
    context.addIssue({ code: 'custom', message: 'names no proxy (a hop count, or addresses)' });
  }
  for (const entry of entries.filter((each) => !isAddressOrNetwork(each))) {
    context.addIssue({
      code: 'custom',
      message: `'${entry}' is neither a number of hops nor an IP address or network (CIDR)`,
    });
  }
  return entries.join(',');
});

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_DRAIN_DELAY_MS: integer(0).default(1_000),
  SHUTDOWN_TIMEOUT_MS: integer(1).default(10_000),
  CORS_ORIGINS: commaSeparated.pipe(z.array(z.url())).default([]),
  TRUST_PROXY: trustedProxies.optional(),
  PUBLIC_BASE_URL: z
    .url()
    .transform((url) => (url.endsWith('/') ? url.slice(0, -1) : url))
    .optional(),
  RATE_LIMIT_MAX: integer(1).default(1000),
  RATE_LIMIT_WINDOW_MS: integer(1).default(60_000),
  BODY_LIMIT_BYTES: integer(1).default(1_048_576),
  BODY_BUFFER_LIMIT_BYTES: integer(1).default(33_554_432),
  JSON_MAX_DEPTH: integer(1, 10_000).default(64),
  REQUEST_TIMEOUT_MS: integer(1).default(30_000),
  HEADERS_TIMEOUT_MS: integer(1).default(10_000),
  KEEP_ALIVE_TIMEOUT_MS: integer(1).default(65_000),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: integer(1).default(20),
  READINESS_CACHE_MS: integer(0, 60_000).default(1_000),
  ...memoryStoresEnvShape,
});

export type Environment = 'development' | 'test' | 'production';

export interface Config {
  readonly env: Environment;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    /** Body bytes all requests still arriving may hold together; past it, bodies get 503. */
    readonly bodyBufferLimitBytes: number;
    /** Deepest nesting of arrays and objects a JSON body may have. */
    readonly jsonMaxDepth: number;
    /** A request must arrive whole (headers and body) within this, or it gets 408. */
    readonly requestTimeoutMs: number;
    /** A request's headers must arrive within this. */
    readonly headersTimeoutMs: number;
    /** How long an idle kept-alive connection stays open; longer than the load balancer's. */
    readonly keepAliveTimeoutMs: number;
    readonly corsOrigins: readonly string[];
    /**
     * Proxies whose X-Forwarded-For names the client (a hop count, or comma-separated addresses
     * and networks); false when clients connect directly.
     */
    readonly trustProxy: false | number | string;
    /**
     * Event-loop time a turn spends on requests before it refuses the rest of that turn's
     * requests with 503 (admission control): how long a request may wait behind others.
     */
    readonly maxEventLoopDelayMs: number;
    /** Where consumers reach the API, for the OpenAPI document: '/' (relative) unless set. */
    readonly publicBaseUrl: string;
  };
  readonly log: { readonly level: string };
  readonly shutdown: {
    /** How long the service keeps serving after it reports not-ready, before it stops accepting. */
    readonly drainDelayMs: number;
    /** Hard deadline for the whole shutdown; past it the process exits with code 1. */
    readonly timeoutMs: number;
  };
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** How long one evaluation of the readiness checks answers every probe. */
  readonly readiness: { readonly cacheMs: number };
  readonly memoryStores: MemoryStoresConfig;
}

/** Parses the environment once at boot; throws a `ConfigError` listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = parseEnv(envSchema, env);
  return {
    env: parsed.NODE_ENV,
    http: {
      host: parsed.HOST,
      port: parsed.PORT,
      bodyLimitBytes: parsed.BODY_LIMIT_BYTES,
      bodyBufferLimitBytes: parsed.BODY_BUFFER_LIMIT_BYTES,
      jsonMaxDepth: parsed.JSON_MAX_DEPTH,
      requestTimeoutMs: parsed.REQUEST_TIMEOUT_MS,
      // Node refuses a headers timeout past the request timeout, which ends the wait first anyway.
      headersTimeoutMs: Math.min(parsed.HEADERS_TIMEOUT_MS, parsed.REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: parsed.KEEP_ALIVE_TIMEOUT_MS,
      corsOrigins: parsed.CORS_ORIGINS,
      trustProxy: parsed.TRUST_PROXY ?? false,
      maxEventLoopDelayMs: parsed.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
      publicBaseUrl: parsed.PUBLIC_BASE_URL ?? '/',
    },
    log: { level: parsed.LOG_LEVEL },
    shutdown: {
      drainDelayMs: parsed.SHUTDOWN_DRAIN_DELAY_MS,
      timeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    },
    rateLimit: { max: parsed.RATE_LIMIT_MAX, windowMs: parsed.RATE_LIMIT_WINDOW_MS },
    readiness: { cacheMs: parsed.READINESS_CACHE_MS },
    memoryStores: memoryStoresConfigFrom(parsed),
  };
}
