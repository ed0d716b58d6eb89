import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';

import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

import { AppError, type ErrorKind } from './app-errors.js';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails, problemTitle } from './problem-details.js';

const statusByKind: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  'not-found': 404,
  conflict: 409,
  'business-rule': 422,
  'rate-limited': 429,
  transient: 503,
  'insufficient-storage': 507,
};

const OVERLOAD_RETRY_AFTER_SECONDS = 10;

interface Problem {
  readonly status: number;
  readonly type: string;
  readonly detail?: string;
  readonly headers?: Record<string, string>;
  readonly errors?: ProblemDetails['errors'];
  /** False for refusals that are expected and frequent (load shedding); the access log has them. */
  readonly logAsError?: boolean;
}

/** Framework errors (bad JSON, wrong media type, body too large, …) carry a 4xx status code. */
function statusCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const { statusCode } = error;
    return typeof statusCode === 'number' ? statusCode : undefined;
  }
  return undefined;
}

function toProblem(error: unknown, exposeInternalErrors: boolean): Problem {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error.kind === 'unauthorized') headers['www-authenticate'] = 'Bearer';
    if ('retryAfterSeconds' in error) headers['retry-after'] = String(error.retryAfterSeconds);
    return { status: statusByKind[error.kind], type: error.kind, detail: error.message, headers };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return {
      status: 400,
      type: 'validation',
      detail: 'The request does not match the schema.',
      errors: error.validation.map((issue) => ({
        location: error.validationContext ?? 'request',
        path: issue.instancePath,
        message: issue.message ?? 'is invalid',
      })),
    };
  }
  const statusCode = statusCodeOf(error);
  if (statusCode === 414) {
    // The router refuses path parameters over 100 characters before validation runs; for the
    // client that is an invalid parameter like any other, and 400 is what the routes declare.
    return { status: 400, type: 'validation', detail: 'A path parameter is too long.' };
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    const detail = error instanceof Error ? error.message : undefined;
    return { status: statusCode, type: 'about:blank', ...(detail === undefined ? {} : { detail }) };
  }
  if (statusCode === 503) {
    // @fastify/under-pressure already set Retry-After; keep a default for anything else.
    return {
      status: 503,
      type: 'transient',
      detail: 'The service is overloaded; retry later.',
      headers: { 'retry-after': String(OVERLOAD_RETRY_AFTER_SECONDS) },
      // An error line per shed request would flood the logs and add work exactly when the
      // process has none to spare.
      logAsError: false,
    };
  }
  // Unknown errors are bugs: their message may hold internals, so production answers opaquely.
  const detail =
    exposeInternalErrors && error instanceof Error
      ? error.message
      : 'An unexpected error occurred.';
  return { status: 500, type: 'about:blank', detail };
}

/** The single place where errors become RFC 9457 `application/problem+json` responses. */
export function createErrorHandler(options: { readonly exposeInternalErrors: boolean }) {
  return function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
    const problem = toProblem(error, options.exposeInternalErrors);
    if (problem.status >= 500 && problem.logAsError !== false) {
      request.log.error({ err: error }, 'request failed');
    }
    const body: ProblemDetails = {
      type: problem.type === 'about:blank' ? problem.type : `urn:problem-type:${problem.type}`,
      title: problemTitle(problem.status),
      status: problem.status,
      ...(problem.detail === undefined ? {} : { detail: problem.detail }),
      instance: request.url,
      requestId: request.id,
      ...(problem.errors === undefined ? {} : { errors: problem.errors }),
    };
    for (const [name, value] of Object.entries(problem.headers ?? {})) {
      if (!reply.hasHeader(name)) reply.header(name, value);
    }
    return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(body);
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const body: ProblemDetails = {
    type: 'about:blank',
    title: problemTitle(404),
    status: 404,
    detail: `No route for ${request.method} ${request.url.split('?', 1)[0] ?? ''}.`,
    instance: request.url,
    requestId: request.id,
  };
  return reply.code(404).type(PROBLEM_CONTENT_TYPE).send(body);
}

const CLIENT_ERROR_DETAILS: Record<number, string> = {
  400: 'The request is not valid HTTP.',
  408: 'The request did not arrive within the time allowed.',
  431: 'The request header fields are too large.',
};

function clientErrorStatus(code: string | undefined): number {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

/** Whether a response on this connection has started; Node checks the same before its own 400. */
function responseStarted(socket: Duplex): boolean {
  const { _httpMessage: response } = socket as { _httpMessage?: { headersSent?: boolean } };
  return response?.headersSent === true;
}

/**
 * Node's `clientError`: requests the HTTP parser refuses before Fastify sees them (a malformed
 * request line or header, headers over the size limit, a body not received within the request
 * timeout). They get the same problem+json as every other error, then the connection closes,
 * since the rest of what the client sent cannot be framed.
 */
export function handleClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable && !responseStarted(socket)) {
    const status = clientErrorStatus(error.code);
    const requestId = randomUUID();
    const body: ProblemDetails = {
      type: 'about:blank',
      title: problemTitle(status),
      status,
      detail: CLIENT_ERROR_DETAILS[status],
      requestId,
    };
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${String(status)} ${problemTitle(status)}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${String(Buffer.byteLength(json))}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
