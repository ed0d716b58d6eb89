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
