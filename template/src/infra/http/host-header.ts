import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

import { ValidationError } from '../../errors/app-errors.js';

/**
 * Refuses a request with more than one Host header (RFC 9112 §3.2 requires a 400): Node keeps
 * the first and drops the rest, while a proxy in front may have routed by another, so the two
 * would disagree about which site the request is for.
 */
export function refuseAmbiguousHost(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const { rawHeaders } = request.raw;
  let hosts = 0;
  // Names and values alternate; the names are compared without allocating.
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] ?? '';
    if (name.length === 4 && name.toLowerCase() === 'host') hosts += 1;
  }
  done(hosts > 1 ? new ValidationError('The request has more than one Host header.') : undefined);
}
