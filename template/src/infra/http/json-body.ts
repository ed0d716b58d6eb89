import type { Readable } from 'node:stream';

import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';

import { TransientError } from '../../errors/app-errors.js';

// A client refused for want of buffer space may retry as soon as other bodies have been parsed.
const BUSY_RETRY_AFTER_SECONDS = 1;

const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACKET = 0x5d; // ]
const OPEN_BRACE = 0x7b; // {
const CLOSE_BRACE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

export interface JsonBodyOptions {
  /** Largest body one request may send (Content-Length or streamed); larger ones get 413. */
  readonly bodyLimitBytes: number;
  /** Body bytes all requests together may hold in memory while they arrive; past it, 503. */
  readonly bufferLimitBytes: number;
  /** Deepest nesting of arrays and objects accepted; deeper bodies get 400 before parsing. */
  readonly maxDepth: number;
}

/** An error Fastify's error handler answers with its status, like its own parser's errors. */
class JsonBodyError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/**
 * Bytes held by bodies still arriving, across all requests. A process has one: its bound is
 * what keeps thousands of stalled uploads from filling the container's memory.
 */
export class BodyBuffer {
  #used = 0;

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.#used;
  }

  /** Takes `bytes` if they fit; false (nothing taken) otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.limitBytes) return false;
    this.#used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.#used -= bytes;
  }
}

/**
 * Tracks the nesting depth of a JSON text across chunks, without parsing it: one pass over the
 * bytes, outside strings counting brackets. Structural characters are ASCII, and UTF-8 never
 * uses ASCII bytes inside a multi-byte character, so bytes can be scanned as they arrive.
 */
export class JsonDepthScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;

  constructor(readonly maxDepth: number) {}

  /** False as soon as the text seen so far nests deeper than `maxDepth`. */
  accept(chunk: Uint8Array): boolean {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    // Indexed: a for-of loop over the bytes runs several times slower until V8 optimizes it.
    // eslint-disable-next-line @typescript-eslint/prefer-for-of -- measured: 3 ms against 15 ms per MB
    for (let index = 0; index < chunk.length; index += 1) {
      const byte = chunk[index];
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
        depth += 1;
        if (depth > this.maxDepth) return false;
      } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
        depth -= 1;
      }
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return true;
  }
}

/**
 * Replaces Fastify's `application/json` parser with one that enforces, while the body arrives,
 * the per-request size limit, the shared buffer bound and the nesting depth, then parses with
 * Fastify's own proto-poisoning-safe parser (secure-json-parse).
 */
export function registerJsonBodyParser(app: FastifyInstance, options: JsonBodyOptions): BodyBuffer {
  const buffer = new BodyBuffer(options.bufferLimitBytes);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (request, payload, done) => {
    readBody(request, payload, { ...options, buffer }, (error, body) => {
      if (error !== null) {
        done(error, undefined);
      } else {
        // Fastify's JSON parser answers through `done` and returns nothing.
        void parseJson(request, body, done);
      }
    });
  });
  return buffer;
}

interface ReadOptions extends JsonBodyOptions {
  readonly buffer: BodyBuffer;
}

function readBody(
  request: FastifyRequest,
  payload: Readable,
  { bodyLimitBytes, maxDepth, buffer }: ReadOptions,
  done: (error: Error | null, body: string) => void,
): void {
  const declared = Number(request.headers['content-length']);
  if (declared > bodyLimitBytes) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), '');
    return;
  }
  const depth = new JsonDepthScanner(maxDepth);
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;

  function finish(error: Error | null): void {
    if (settled) return;
    settled = true;
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    payload.removeListener('close', onClose);
    // Decoded once, whole: a multi-byte character split across chunks stays intact.
    const body = error === null ? Buffer.concat(chunks, received).toString('utf8') : '';
    // The chunks are garbage once concatenated (or refused), so their bytes are free again.
    buffer.release(received);
    chunks.length = 0;
    done(error, body);
  }

  function onData(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (received + bytes.length > bodyLimitBytes) {
      finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    } else if (!buffer.tryReserve(bytes.length)) {
      finish(
        new TransientError(
          'The service is receiving too many request bodies at once; retry shortly.',
          BUSY_RETRY_AFTER_SECONDS,
        ),
      );
    } else {
      received += bytes.length;
      chunks.push(bytes);
      if (!depth.accept(bytes)) {
        finish(
          new JsonBodyError(`The JSON body nests deeper than ${String(maxDepth)} levels.`, 400),
        );
      }
    }
  }

  function onEnd(): void {
    if (!Number.isNaN(declared) && received !== declared) {
      finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    } else {
      finish(null);
    }
  }

  function onError(error: Error): void {
    finish(new JsonBodyError(error.message, 400));
  }

  function onClose(): void {
    // The client went away mid-body (or the request timed out): nobody waits for an answer,
    // but the bytes it held must be given back.
    finish(new JsonBodyError('The request was closed before its body arrived.', 400));
  }

  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.on('close', onClose);
  payload.resume();
}
