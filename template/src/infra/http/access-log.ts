import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

import type { AccessLine } from '../observability/logger.js';

/**
 * Exactly one access-log line per request, written when the response is finished. Fastify's
 * default writes two (incoming and completed), which measurably costs throughput.
 */
export class AccessLog extends LogController {
  readonly #writeAccessLine: (line: AccessLine) => void;

  /**
   * Completed requests go to `writeAccessLine`; failed ones carry an error, so they go through
   * the request's logger, which redacts.
   */
  constructor(writeAccessLine: (line: AccessLine) => void) {
    super();
    this.#writeAccessLine = writeAccessLine;
  }

  override incomingRequest(): void {
    // Intentionally silent: the completed line carries everything worth keeping.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const line: AccessLine = {
      requestId: request.id,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) {
      request.log.error({ ...line, err: error }, 'request errored');
    } else {
      this.#writeAccessLine(line);
    }
  }
}
