import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';

import { composeServices } from './composition.js';
import type { Config } from './config/config.js';
import { createErrorHandler, handleClientError, notFoundHandler } from './errors/error-handler.js';
import type { Replacements } from './features/context.js';
import { AccessLog } from './infra/http/access-log.js';
import { refuseAmbiguousHost } from './infra/http/host-header.js';
import { proxyTrust, registerHttpProtection } from './infra/http/http-protection.js';
import { registerJsonBodyParser } from './infra/http/json-body.js';
import {
  createRequestContextStorage,
  registerRequestContext,
  requestIdFor,
} from './infra/http/request-context.js';
import { zodSchemaController } from './infra/http/zod-compilers.js';
import { Lifecycle } from './infra/lifecycle.js';
import { registerAdmissionMetrics } from './infra/metrics/admission-metrics.js';
import { createMetrics, registerHttpMetrics } from './infra/metrics/metrics.js';
import { createHttpLogging } from './infra/observability/logger.js';
import { registerOpenApi } from './infra/openapi/openapi.js';
import { Readiness } from './infra/readiness.js';
import { registerApiRoutes } from './routes/api-routes.js';
import { healthRoutes } from './routes/health-routes.js';

// Node checks open requests against their timeouts this often (its default, 30 s, would let a
// stalled request live up to 30 s past its deadline).
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface BuildOptions {
  /** Where log lines go: the process's stdout stream, or a test's capture. */
  readonly logStream?: DestinationStream;
  /** Clients to use instead of connecting them (API tests). */
  readonly replace?: Replacements;
}

export interface App {
  readonly server: FastifyInstance;
  readonly readiness: Readiness;
}

/**
 * The composition root's HTTP half: it builds the Fastify server with its plugins and routes
 * around the services `composeServices` creates. Each feature's clients close through
 * `lifecycle`, which the server runs once in-flight requests have finished.
 */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<App> {
  const requestContext = createRequestContextStorage();
  const logging = createHttpLogging({
    level: config.log.level,
    requestContext,
    destination: options.logStream,
  });
  // Typed as Fastify's logger interface so plugins and hooks see one logger type everywhere.
  const logger: FastifyBaseLogger = logging.logger;
  const readiness = new Readiness({ ...config.readiness, logger });
  const lifecycle = new Lifecycle({ readiness, logger: logging.logger });
  const context = {
    config,
    lifecycle,
    requestContext,
    metrics: createMetrics(readiness),
  };

  const handleError = createErrorHandler({ exposeInternalErrors: config.env !== 'production' });
  const server = Fastify({
    loggerInstance: logger,
    logController: new AccessLog(logging.writeAccessLine),
    schemaController: zodSchemaController(),
    // Request ids live in the log mixin, so per-request child loggers would only cost allocations.
    childLoggerFactory: (parent) => parent,
    requestIdHeader: false,
    genReqId: requestIdFor,
    // request.ip (rate limit key) comes from X-Forwarded-For only when a trusted proxy set it.
    trustProxy: proxyTrust(config.http.trustProxy),
    bodyLimit: config.http.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A request must arrive whole within requestTimeout (else 408), its headers within
    // headersTimeout; both count from its first byte, so an idle kept-alive connection is never
    // cut by them. Idle connections stay open longer than a load balancer keeps its own (60 s
    // on most), so the balancer never reuses one the service is closing.
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    clientErrorHandler: handleClientError,
    // While draining, requests on already-open connections are still served (with
    // `Connection: close`); the load balancer has stopped sending new ones after readiness failed.
    return503OnClosing: false,
    // Errors raised before routing (a malformed URL, an over-long path parameter) get the same
    // problem+json answer as any other; no onRequest hook has run, so the id header is set here.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      handleError(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();

  // A JSON API: anything but JSON is answered 415 instead of reaching validation as a string.
  server.removeContentTypeParser('text/plain');
  registerJsonBodyParser(server, {
    bodyLimitBytes: config.http.bodyLimitBytes,
    bufferLimitBytes: config.http.bodyBufferLimitBytes,
    maxDepth: config.http.jsonMaxDepth,
  });
  server.setErrorHandler(handleError);
  server.setNotFoundHandler(notFoundHandler);

  registerRequestContext(server, requestContext);
  server.addHook('onRequest', refuseAmbiguousHost);
  // The features' clients close after the server has stopped and in-flight requests finished.
  server.addHook('onClose', () => lifecycle.close());
  const services = composeServices(context, options.replace);
  registerHttpMetrics(server, context.metrics);
  const admission = await registerHttpProtection(server, {
    corsOrigins: config.http.corsOrigins,
    rateLimit: config.rateLimit,
    maxEventLoopDelayMs: config.http.maxEventLoopDelayMs,
  });
  registerAdmissionMetrics(context.metrics.registry, admission);
  registerOpenApi(server, { serverUrl: config.http.publicBaseUrl });

  await server.register(healthRoutes, {
    readiness,
    exposeCheckDetails: config.env !== 'production',
  });
  await registerApiRoutes(server, { config, services });
  await server.ready();

  return { server, readiness };
}
