import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

import type { FastifyInstance } from 'fastify';

export interface RequestContext {
  readonly requestId: string;
}

export type RequestContextStorage = AsyncLocalStorage<RequestContext>;

export function createRequestContextStorage(): RequestContextStorage {
  return new AsyncLocalStorage<RequestContext>();
}

// Incoming ids are echoed into logs and headers, so only short, inert values are trusted.
const TRUSTED_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Keeps the caller's `x-request-id` so one id follows a request across services. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && TRUSTED_REQUEST_ID.test(incoming)
    ? incoming
    : randomUUID();
}

/**
 * Runs each request inside its own context, so every log line it causes carries its id, and
 * echoes the id to the client.
 */
export function registerRequestContext(app: FastifyInstance, storage: RequestContextStorage): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    storage.run({ requestId: request.id }, done);
  });
}
