import { isIP, isIPv4 } from 'node:net';

import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  HookHandlerDoneFunction,
} from 'fastify';

import { RateLimitedError } from '../../errors/app-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` exempts the route (probes, scrapes) from the rate limit. */
    rateLimit?: false;
  }
}

/**
 * A count every instance of the service adds to (Redis), so a client's limit holds across
 * replicas. `add` returns the key's total after adding `amount`; the key expires at `expiresAtMs`.
 */
export interface SharedCounter {
  add(key: string, amount: number, expiresAtMs: number): Promise<number>;
}

export interface RateLimiterOptions {
  /** Requests a client may make per window. */
  readonly max: number;
  readonly windowMs: number;
  /** Without one, each instance counts on its own. */
  readonly sharedCounter?: SharedCounter | undefined;
  /** Told once when the shared counter fails and once when it answers again. */
  readonly logger?: FastifyBaseLogger | undefined;
  readonly now?: () => number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests the client has left in this window (an estimate across instances). */
  readonly remaining: number;
  /** Milliseconds until the window ends and counting starts over. */
  readonly resetMs: number;
}

interface ClientWindow {
  /** Requests this instance admitted in the window. */
  admitted: number;
  /** Requests this instance may still admit before it asks the shared counter again. */
  leased: number;
  /** The shared count at the last lease, every instance's requests included. */
  sharedTotal: number;
  /** The window's shared budget is spent: refuse without asking again. */
  exhausted: boolean;
  /** The shared counter failed: this instance counts the window on its own. */
  counting: 'shared' | 'local';
  /** The lease in flight, so concurrent requests of one client ask once. */
  lease: Promise<void> | undefined;
}

// Each lease takes 1 % of the limit (at most 100 requests): a round trip to the shared counter
// every hundredth request instead of every request, while requests leased by one instance and
// not used by the end of the window can refuse others early by at most that much per instance.
const LEASE_SHARE = 0.01;
const MAX_LEASE = 100;

/**
 * Fixed-window limit per client. Windows are aligned to the clock, so every instance counts the
 * same window: with a shared counter, an instance takes a lease of requests from it and admits
 * them locally, asking again when the lease is spent. Admitted requests never exceed the limit
 * across instances; an instance that cannot reach the counter counts the rest of the window on
 * its own instead of admitting everything.
 */
export class RateLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #leaseSize: number;
  readonly #sharedCounter: SharedCounter | undefined;
  readonly #logger: FastifyBaseLogger | undefined;
  readonly #now: () => number;
  #window = Number.NaN;
  // Only the current window is kept: memory grows with the clients of one window, never more.
  #clients = new Map<string, ClientWindow>();
  #sharedCounterFailing = false;

  constructor(options: RateLimiterOptions) {
    this.#max = options.max;
    this.#windowMs = options.windowMs;
    this.#leaseSize = Math.min(Math.max(Math.floor(options.max * LEASE_SHARE), 1), MAX_LEASE);
    this.#sharedCounter = options.sharedCounter;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Counts one request of `client`; synchronous unless a lease has to be taken first. */
  take(client: string): RateLimitDecision | Promise<RateLimitDecision> {
    const now = this.#now();
    const window = Math.floor(now / this.#windowMs);
    if (window !== this.#window) {
      this.#window = window;
      this.#clients = new Map();
    }
    let state = this.#clients.get(client);
    if (state === undefined) {
      state = {
        admitted: 0,
        leased: 0,
        sharedTotal: 0,
        exhausted: false,
        counting: this.#sharedCounter === undefined ? 'local' : 'shared',
        lease: undefined,
      };
      this.#clients.set(client, state);
    }
    const resetMs = (window + 1) * this.#windowMs - now;

    if (state.counting === 'local') {
      if (state.admitted >= this.#max) return this.#refused(resetMs);
      state.admitted += 1;
      return this.#admitted(this.#max - state.admitted, resetMs);
    }
    if (state.leased > 0) {
      state.leased -= 1;
      state.admitted += 1;
      return this.#admitted(this.#max - (state.sharedTotal - state.leased), resetMs);
    }
    if (state.exhausted) return this.#refused(resetMs);

    state.lease ??= this.#takeLease(client, state, window).finally(() => {
      state.lease = undefined;
    });
    return state.lease.then(() => this.take(client));
  }

  async #takeLease(client: string, state: ClientWindow, window: number): Promise<void> {
    const counter = this.#sharedCounter;
    if (counter === undefined) return;
    try {
      const total = await counter.add(
        `${client}:${String(window)}`,
        this.#leaseSize,
        (window + 1) * this.#windowMs,
      );
      const granted = Math.min(Math.max(this.#max - (total - this.#leaseSize), 0), this.#leaseSize);
      state.leased += granted;
      state.sharedTotal = total;
      state.exhausted = granted < this.#leaseSize;
      if (this.#sharedCounterFailing) {
        this.#sharedCounterFailing = false;
        this.#logger?.info('rate limit counter reachable again; counting across instances');
      }
    } catch (error) {
      state.counting = 'local';
      if (!this.#sharedCounterFailing) {
        this.#sharedCounterFailing = true;
        this.#logger?.warn(
          { err: error },
          'rate limit counter unreachable; each instance counts on its own until it answers',
        );
      }
    }
  }

  #admitted(remaining: number, resetMs: number): RateLimitDecision {
    return { allowed: true, limit: this.#max, remaining: Math.max(remaining, 0), resetMs };
  }

  #refused(resetMs: number): RateLimitDecision {
    return { allowed: false, limit: this.#max, remaining: 0, resetMs };
  }
}

/**
 * The rate-limited identity of a client: its IP address as the socket or a trusted proxy's
 * X-Forwarded-For gave it, normalised, so a client cannot get a fresh budget by spelling its
 * address another way (a port, brackets, a zone, an IPv4-mapped IPv6 form). Anything that is
 * not an address is keyed by `socketAddress` instead: junk must not buy a budget of its own.
 */
export function clientKey(address: string, socketAddress = 'unknown'): string {
  const parsed = parseAddress(address) ?? parseAddress(socketAddress);
  if (parsed === undefined) return socketAddress;
  return isIPv4(parsed) ? parsed : ipv6Key(parsed);
}

/** The bare IP address in `value` (`IP`, `IPv4:port`, `[IPv6]`, `[IPv6]:port`), if there is one. */
function parseAddress(value: string): string | undefined {
  let host = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(host);
  if (bracketed?.[1] !== undefined) {
    host = bracketed[1];
  } else if (host.indexOf(':') === host.lastIndexOf(':')) {
    // One colon can only separate an IPv4 address from a port: IPv6 has at least two.
    const [ipv4 = '', port] = host.split(':');
    if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
    host = ipv4;
  }
  host = host.split('%', 1)[0] ?? '';
  return isIP(host) === 0 ? undefined : host.toLowerCase();
}

/**
 * An IPv6 client by its /64, which one host usually owns whole: keying single addresses would
 * let it rotate through billions of them. An IPv4-mapped address is the IPv4 client it maps.
 */
function ipv6Key(address: string): string {
  const groups = ipv6Groups(address);
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing IPv4 split). */
function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const values = (part: string | undefined) =>
    part === undefined || part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const leading = values(head);
  const trailing = values(tail);
  if (tail === undefined) return leading;
  return [
    ...leading,
    ...new Array<number>(8 - leading.length - trailing.length).fill(0),
    ...trailing,
  ];
}

/**
 * Limits every route except those configured with `rateLimit: false`. Each response carries
 * `x-ratelimit-*` headers; a refused request gets a 429 problem with `Retry-After`.
 */
export function registerRateLimit(app: FastifyInstance, limiter: RateLimiter): void {
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.rateLimit === false) {
      done();
      return;
    }
    const decision = limiter.take(clientKey(request.ip, request.socket.remoteAddress));
    if (decision instanceof Promise) {
      decision.then((settled) => {
        answer(settled, reply, done);
      }, done);
    } else {
      answer(decision, reply, done);
    }
  });
}

function answer(decision: RateLimitDecision, reply: FastifyReply, done: HookHandlerDoneFunction) {
  const resetSeconds = Math.ceil(decision.resetMs / 1000);
  reply.header('x-ratelimit-limit', decision.limit);
  reply.header('x-ratelimit-remaining', decision.remaining);
  reply.header('x-ratelimit-reset', resetSeconds);
  if (decision.allowed) {
    done();
    return;
  }
  done(
    new RateLimitedError(
      `Rate limit of ${decision.limit} requests exceeded; retry in ${resetSeconds} s.`,
      resetSeconds,
    ),
  );
}
