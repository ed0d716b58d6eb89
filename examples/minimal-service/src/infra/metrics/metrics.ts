import { performance } from 'node:perf_hooks';

import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import { operationalRouteConfig } from '../http/http-protection.js';
import type { Readiness } from '../readiness.js';

// Status classes indexed by the first digit, so the response hook allocates no label strings.
const STATUS_CLASSES = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
// Raw URLs would give one time series per order id; unmatched requests share one label.
const UNMATCHED_ROUTE = 'unmatched';

export interface Metrics {
  readonly registry: Registry;
  readonly ordersCreated: Counter;
}

/**
 * Creates a registry owned by one app instance (never prom-client's global one, which would
 * leak series between tests) with the default process and event-loop metrics.
 */
export function createMetrics(readiness: Readiness): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  let lastUtilization = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape.',
    registers: [registry],
    collect() {
      const current = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(current, lastUtilization).utilization);
      lastUtilization = current;
    },
  });

  new Gauge({
    name: 'service_ready',
    help: '1 while the service accepts traffic, 0 while it drains for shutdown.',
    registers: [registry],
    collect() {
      this.set(readiness.isDraining ? 0 : 1);
    },
  });

  const ordersCreated = new Counter({
    name: 'orders_created_total',
    help: 'Orders created (idempotent replays are not counted).',
    registers: [registry],
  });

  return { registry, ordersCreated };
}

/** RED metrics for every request, labelled by route template, plus GET /metrics. */
export function registerHttpMetrics(app: FastifyInstance, { registry }: Metrics): void {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status class.',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests currently being processed.',
    registers: [registry],
  });

  // 'close' fires exactly once per response, even when the client aborts and onResponse never
  // runs; one shared listener keeps the hook free of per-request closures.
  const requestSettled = () => {
    inFlight.dec();
  };
  app.addHook('onRequest', (_request, reply, done) => {
    inFlight.inc();
    reply.raw.on('close', requestSettled);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_class: STATUS_CLASSES[Math.floor(reply.statusCode / 100)] ?? '5xx',
      },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get(
    '/metrics',
    { schema: { hide: true }, config: operationalRouteConfig },
    async (_request, reply) => {
      const body = await registry.metrics();
      return reply.type(registry.contentType).send(body);
    },
  );
}
