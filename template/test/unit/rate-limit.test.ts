import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';

import {
  clientKey,
  type RateLimitDecision,
  RateLimiter,
  type SharedCounter,
} from '../../src/infra/http/rate-limit.js';

const WINDOW_MS = 60_000;

/** A shared counter in memory, standing for Redis between instances of the service. */
class MemoryCounter implements SharedCounter {
  readonly totals = new Map<string, number>();
  calls = 0;

  add(key: string, amount: number): Promise<number> {
    this.calls += 1;
    const total = (this.totals.get(key) ?? 0) + amount;
    this.totals.set(key, total);
    return Promise.resolve(total);
  }
}

class FailingCounter implements SharedCounter {
  add(): Promise<number> {
    return Promise.reject(new Error('connect ECONNREFUSED'));
  }
}

function clock(start = 0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

async function allowedCount(limiter: RateLimiter, client: string, requests: number) {
  let allowed = 0;
  for (let request = 0; request < requests; request += 1) {
    if ((await limiter.take(client)).allowed) allowed += 1;
  }
  return allowed;
}

function fakeLogger() {
  return { info: vi.fn(), warn: vi.fn() };
}

describe('RateLimiter on its own', () => {
  it('when a client reaches the limit, then further requests are refused until the window ends', async () => {
    const time = clock();
    const limiter = new RateLimiter({ max: 3, windowMs: WINDOW_MS, now: time.now });

    const allowed = await allowedCount(limiter, 'client', 5);
    const refused = limiter.take('client') as RateLimitDecision;

    expect(allowed).toBe(3);
    expect(refused).toEqual({ allowed: false, limit: 3, remaining: 0, resetMs: WINDOW_MS });
  });

  it('when the window ends, then the client may make requests again', async () => {
    const time = clock();
    const limiter = new RateLimiter({ max: 2, windowMs: WINDOW_MS, now: time.now });
    await allowedCount(limiter, 'client', 2);

    time.advance(WINDOW_MS);

    expect(await allowedCount(limiter, 'client', 3)).toBe(2);
  });

  it('when requests are admitted, then each answer tells what is left and when the window ends', async () => {
    const time = clock(15_000);
    const limiter = new RateLimiter({ max: 10, windowMs: WINDOW_MS, now: time.now });

    await limiter.take('client');
    const second = await limiter.take('client');

    expect(second).toEqual({ allowed: true, limit: 10, remaining: 8, resetMs: 45_000 });
  });

  it('when two clients make requests, then each is counted on its own', async () => {
    const limiter = new RateLimiter({ max: 1, windowMs: WINDOW_MS, now: clock().now });

    expect(await allowedCount(limiter, 'first', 2)).toBe(1);
    expect(await allowedCount(limiter, 'second', 2)).toBe(1);
  });
});

describe('RateLimiter with a shared counter', () => {
  it('when two instances serve one client in turns, then they admit the limit between them', async () => {
    const counter = new MemoryCounter();
    const time = clock();
    const instances = [0, 1].map(
      () =>
        new RateLimiter({ max: 300, windowMs: WINDOW_MS, sharedCounter: counter, now: time.now }),
    );

    let allowed = 0;
    for (let request = 0; request < 400; request += 1) {
      const instance = instances[request % 2];
      if (instance !== undefined && (await instance.take('client')).allowed) allowed += 1;
    }

    expect(allowed).toBeLessThanOrEqual(300);
    // Each instance may hold back at most one unused lease (1 % of the limit).
    expect(allowed).toBeGreaterThanOrEqual(300 - 2 * 3);
  });

  it('when the limit is large, then the counter is asked once per lease, not once per request', async () => {
    const counter = new MemoryCounter();
    const limiter = new RateLimiter({
      max: 1_000_000,
      windowMs: WINDOW_MS,
      sharedCounter: counter,
      now: clock().now,
    });

    expect(await allowedCount(limiter, 'client', 1_000)).toBe(1_000);
    expect(counter.calls).toBe(10);
  });

  it('when many requests of one client arrive at once, then they wait for a single lease', async () => {
    const counter = new MemoryCounter();
    const limiter = new RateLimiter({
      max: 1_000,
      windowMs: WINDOW_MS,
      sharedCounter: counter,
      now: clock().now,
    });

    const decisions = await Promise.all(
      Array.from({ length: 10 }, async () => limiter.take('client')),
    );

    expect(decisions.every((decision) => decision.allowed)).toBe(true);
    expect(counter.calls).toBe(1);
  });

  it('when the counter is unreachable, then the instance counts the client on its own', async () => {
    const logger = fakeLogger();
    const limiter = new RateLimiter({
      max: 2,
      windowMs: WINDOW_MS,
      sharedCounter: new FailingCounter(),
      logger: logger as unknown as FastifyBaseLogger,
      now: clock().now,
    });

    const allowed = await allowedCount(limiter, 'client', 4);
    await allowedCount(limiter, 'other-client', 1);

    expect(allowed).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('when the counter answers again, then recovery is logged once', async () => {
    const logger = fakeLogger();
    const failing = new FailingCounter();
    const counter = new MemoryCounter();
    let current: SharedCounter = failing;
    const time = clock();
    const limiter = new RateLimiter({
      max: 5,
      windowMs: WINDOW_MS,
      sharedCounter: { add: (...args) => current.add(...args) },
      logger: logger as unknown as FastifyBaseLogger,
      now: time.now,
    });
    await limiter.take('client');

    current = counter;
    time.advance(WINDOW_MS);
    await limiter.take('client');
    await limiter.take('another-client');

    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(counter.totals.get(`client:${String(1)}`)).toBe(1);
  });
});

describe('clientKey', () => {
  it('when the address is IPv4, then it is the key as it is', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('when an IPv4 client reaches a dual-stack socket, then it is keyed by its IPv4 address', () => {
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('when IPv6 addresses share a /64, then they share one key', () => {
    const keys = new Set(
      ['2001:db8:1:2::1', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0:0:0:9'].map(
        (address) => clientKey(address),
      ),
    );

    expect([...keys]).toEqual(['2001:db8:1:2::/64']);
  });

  it('when IPv6 addresses differ within the first 64 bits, then their keys differ', () => {
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });

  it('when an IPv4 address carries a port, then the port is dropped', () => {
    expect(clientKey('203.0.113.7:51234')).toBe('203.0.113.7');
    expect(clientKey('203.0.113.7:443')).toBe(clientKey('203.0.113.7'));
  });

  it('when an IPv6 address is bracketed, with or without a port, then it keys its /64', () => {
    expect(clientKey('[2001:db8:1:2::1]:8443')).toBe('2001:db8:1:2::/64');
    expect(clientKey('[2001:db8:1:2::7]')).toBe('2001:db8:1:2::/64');
  });

  it('when an IPv6 address carries a zone or capitals, then it keys the same /64', () => {
    expect(clientKey('FE80::1%eth0')).toBe(clientKey('fe80::2'));
  });

  it('when an IPv4-mapped address is written in hex or with a port, then it is the IPv4 client', () => {
    expect(clientKey('::ffff:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('[::ffff:203.0.113.7]:9000')).toBe('203.0.113.7');
  });

  it('when the address is padded with spaces, then they are ignored', () => {
    expect(clientKey(' 203.0.113.7 ')).toBe('203.0.113.7');
  });

  it('when the address is not an IP address, then the socket address is the key', () => {
    for (const junk of [
      'junk',
      '',
      'unknown',
      '203.0.113.7:port',
      '999.1.1.1',
      '1.2.3.4.5',
      '[1.2.3.4]x',
    ]) {
      expect(clientKey(junk, '10.0.0.5')).toBe('10.0.0.5');
    }
    expect(clientKey('junk', '::ffff:10.0.0.5')).toBe('10.0.0.5');
  });
});
