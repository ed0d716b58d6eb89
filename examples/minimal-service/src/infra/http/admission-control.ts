import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

import { PROBLEM_CONTENT_TYPE } from '../../errors/problem-details.js';
import { requestIdFor } from './request-context.js';

// Within a turn that goes on, refusals take at most a fifth of it: 80 % of it serves.
const WINDOW_WITH_REFUSALS = 1.25;

export interface AdmissionControlOptions {
  /**
   * Event-loop time one turn may spend before the rest of its requests are refused: how long a
   * request may wait behind the others that arrived with it.
   */
  readonly maxDelayMs: number;
  readonly now?: () => number;
  /** Calls back once the loop has run this turn's I/O callbacks (setImmediate by default). */
  readonly afterTurn?: (callback: () => void) => void;
}

/**
 * Admission by queueing delay, measured where the queue is. A Node process serves requests on
 * one thread: under overload they wait in the kernel's socket buffers, not in the process, so
 * the count of requests in flight stays near one while callers wait for seconds. What the
 * process can see is each turn of its event loop: every request that arrived during a turn is
 * read in the next one, and waits there behind those read before it. A turn therefore serves
 * requests until it has run for `maxDelayMs`, and refuses the rest of that turn's requests at
 * once. Each turn does at least that much useful work, so throughput stays at capacity however
 * many requests arrive, and an accepted request waits at most about one turn.
 */
export class AdmissionControl {
  readonly maxDelayMs: number;
  readonly #now: () => number;
  readonly #afterTurn: (callback: () => void) => void;
  #turnStartedAt = 0;
  #windowStartedAt = 0;
  #inTurn = false;
  #longestTurnMs = 0;
  /** Requests refused since the process started. */
  refused = 0;

  constructor(options: AdmissionControlOptions) {
    this.maxDelayMs = options.maxDelayMs;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#afterTurn = options.afterTurn ?? setImmediate;
  }

  /** Whether a request read now may run; one clock read, and one callback per turn. */
  admit(): boolean {
    const now = this.#now();
    if (!this.#inTurn) {
      this.#inTurn = true;
      this.#turnStartedAt = now;
      this.#windowStartedAt = now;
      this.#afterTurn(this.#endTurn);
      return true;
    }
    const elapsed = now - this.#windowStartedAt;
    if (elapsed < this.maxDelayMs) return true;
    // With more sockets ready than one poll returns (1,024), libuv polls again within the same
    // turn, and the turn lasts as long as clients keep sending: a window of refusals, then a
    // new window of admissions, keeps the turn serving instead of refusing all of it.
    if (elapsed < this.maxDelayMs * WINDOW_WITH_REFUSALS) return false;
    this.#windowStartedAt = now;
    return true;
  }

  /** The longest turn since the previous call, in milliseconds (the delay requests met). */
  takeLongestTurnMs(): number {
    const longest = this.#longestTurnMs;
    this.#longestTurnMs = 0;
    return longest;
  }

  readonly #endTurn = (): void => {
    this.#inTurn = false;
    const turnMs = this.#now() - this.#turnStartedAt;
    if (turnMs > this.#longestTurnMs) this.#longestTurnMs = turnMs;
  };
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

// Overload passes within a turn or a few: clients may retry after a second.
const RETRY_AFTER_SECONDS = '1';
const REFUSAL_BODY_START =
  '{"type":"urn:problem-type:transient","title":"Service Unavailable","status":503,' +
  '"detail":"The service is at capacity; retry later.","requestId":"';
const REFUSAL_BODY_END = '"}';

function pathOf(url = '/'): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Puts admission control in front of the HTTP framework: Fastify handles requests as the
 * server's one `request` listener, and the gate takes its place and passes admitted requests on.
 * A refusal costs Node's own parsing and one write, none of the framework's routing, hooks,
 * validation or logging, because under overload every microsecond spent refusing is taken from
 * the requests being served. `exemptPaths` (probes, scrapes) are answered whatever the load.
 */
export function installAdmissionGate(
  server: Server,
  admission: AdmissionControl,
  options: { readonly exemptPaths: readonly string[]; readonly headers: Record<string, string> },
): void {
  const listeners = server.listeners('request') as RequestListener[];
  const [handle] = listeners;
  if (listeners.length !== 1 || handle === undefined) {
    throw new Error(`admission control expects one request listener, found ${listeners.length}`);
  }
  const exempt = new Set(options.exemptPaths);
  // Flat [name, value, …] list: writeHead takes it without walking an object per refusal.
  const headers = Object.entries({
    ...options.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'cache-control': 'no-store',
    'retry-after': RETRY_AFTER_SECONDS,
  }).flat();
  server.removeListener('request', handle);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (admission.admit() || exempt.has(pathOf(request.url))) {
      handle(request, response);
      return;
    }
    admission.refused += 1;
    const requestId = requestIdFor(request);
    // ASCII only (request ids are restricted to it), so its length is its byte length; without
    // one, Node would frame the refusal in chunks.
    const body = REFUSAL_BODY_START + requestId + REFUSAL_BODY_END;
    response.writeHead(503, [
      ...headers,
      'x-request-id',
      requestId,
      'content-length',
      String(body.length),
    ]);
    response.end(body);
  });
}
