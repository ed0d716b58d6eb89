import type * as Http from 'node:http';
import { createRequire } from 'node:module';

import { z } from 'zod';

// Required, not imported: an ES import of node:http makes Node evaluate its lazy WebSocket
// exports, which loads the bundled undici (about 20 ms of start-up). Fastify has already
// required node:http, so this costs nothing.
const { STATUS_CODES } = createRequire(import.meta.url)('node:http') as typeof Http;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, extended with the request id so a report can be matched to logs. */
export const problemDetailsSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string(),
    errors: z
      .array(z.object({ location: z.string(), path: z.string(), message: z.string() }))
      .optional(),
  })
  .meta({ id: 'ProblemDetails' });

export type ProblemDetails = z.output<typeof problemDetailsSchema>;
export type ProblemStatus = 400 | 401 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503 | 507;

export function problemTitle(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/**
 * Response declarations for route schemas: every status a route can answer with appears in the
 * OpenAPI document, with the problem+json media type it is really served as.
 */
export function problemResponses<const Statuses extends readonly ProblemStatus[]>(
  ...statuses: Statuses
): Record<Statuses[number], ProblemResponse> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: problemTitle(status),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: problemDetailsSchema } },
      },
    ]),
  ) as Record<Statuses[number], ProblemResponse>;
}

interface ProblemResponse {
  description: string;
  content: Record<typeof PROBLEM_CONTENT_TYPE, { schema: typeof problemDetailsSchema }>;
}
