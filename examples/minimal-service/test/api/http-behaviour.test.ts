import { afterEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

// Rate-limit windows are aligned to the clock; an hour-long one keeps a window change out of a test.
const ONE_HOUR_MS = '3600000';

/** Whether each request, sent through a proxy on 127.0.0.1 for the client named, got a 429. */
async function rateLimitedThroughProxy(app: TestApp, clients: readonly string[]) {
  const limited = [];
  for (const client of clients) {
    const response = await app.inject({
      method: 'GET',
      url: '/orders',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': client },
    });
    limited.push(response.statusCode === 429);
  }
  return limited;
}

describe('HTTP behaviour shared by every route', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.server.close();
  });

  it('when a request carries a valid x-request-id, then it is echoed back', async () => {
    app = await buildTestApp();

    const response = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'upstream-id-42' },
    });

    expect(response.headers['x-request-id']).toBe('upstream-id-42');
  });

  it('when x-request-id is missing or unsafe, then a fresh id is generated', async () => {
    app = await buildTestApp();

    const response = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });

    expect(response.headers['x-request-id']).toMatch(/^[\da-f-]{36}$/);
  });

  it('when no route matches, then the answer is a 404 problem with the request id', async () => {
    app = await buildTestApp();

    const response = await app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'x-request-id': 'trace-me' },
    });

    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, requestId: 'trace-me' });
  });

  it('when the URL cannot be decoded, then the answer is a 400 problem with the request id', async () => {
    app = await buildTestApp();

    const response = await app.inject({
      method: 'GET',
      url: '/orders/%zz',
      headers: { 'x-request-id': 'upstream-id-43' },
    });

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['x-request-id']).toBe('upstream-id-43');
    expect(response.json()).toMatchObject({ status: 400, requestId: 'upstream-id-43' });
  });

  it('when the body is not JSON, then the answer is a 415 problem', async () => {
    app = await buildTestApp();

    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });

    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ status: 415 });
  });

  it('when the body exceeds the limit, then the answer is a 413 problem', async () => {
    app = await buildTestApp({ BODY_LIMIT_BYTES: '64' });

    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customerId: 'x'.repeat(100), items: [{ sku: 'SKU-1', quantity: 1 }] },
    });

    expect(response.statusCode).toBe(413);
  });

  it('when the JSON tries prototype poisoning, then the answer is a 400 problem', async () => {
    app = await buildTestApp();

    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"customerId":"c","items":[{"sku":"s","quantity":1}],"__proto__":{"admin":true}}',
    });

    expect(response.statusCode).toBe(400);
  });

  it('when any response is sent, then it carries the security headers of a JSON API', async () => {
    app = await buildTestApp();

    const responses = [
      await app.inject({ method: 'GET', url: '/orders' }),
      await app.inject({ method: 'GET', url: '/no-such-route' }),
    ];

    for (const response of responses) {
      expect(response.headers).toMatchObject({
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'cross-origin-resource-policy': 'same-origin',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
    }
  });

  it('when a client exceeds the rate limit, then the answer is a 429 problem with Retry-After', async () => {
    app = await buildTestApp({ RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: ONE_HOUR_MS });
    await app.inject({ method: 'GET', url: '/orders' });

    const response = await app.inject({ method: 'GET', url: '/orders' });

    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.json()).toMatchObject({ status: 429, type: 'urn:problem-type:rate-limited' });
  });

  it('when a request is admitted, then the rate-limit headers tell the limit and what is left', async () => {
    app = await buildTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: ONE_HOUR_MS });

    await app.inject({ method: 'GET', url: '/orders' });
    const response = await app.inject({ method: 'GET', url: '/orders' });

    expect(response.headers['x-ratelimit-limit']).toBe('5');
    expect(response.headers['x-ratelimit-remaining']).toBe('3');
    expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
  });

  it.each(['127.0.0.1', '1'])(
    'when a proxy trusted by TRUST_PROXY=%s forwards two clients, then each has its own rate limit',
    async (trustProxy) => {
      app = await buildTestApp({
        RATE_LIMIT_MAX: '1',
        RATE_LIMIT_WINDOW_MS: ONE_HOUR_MS,
        TRUST_PROXY: trustProxy,
      });

      const limited = await rateLimitedThroughProxy(app, [
        '203.0.113.1',
        '203.0.113.2',
        '203.0.113.1',
      ]);

      expect(limited).toEqual([false, false, true]);
    },
  );

  it('when X-Forwarded-For comes from an untrusted peer, then it is ignored for the rate limit', async () => {
    app = await buildTestApp({ RATE_LIMIT_MAX: '1', RATE_LIMIT_WINDOW_MS: ONE_HOUR_MS });

    const limited = await rateLimitedThroughProxy(app, ['203.0.113.1', '203.0.113.2']);

    expect(limited).toEqual([false, true]);
  });

  it('when probes exceed the rate limit, then they still answer', async () => {
    app = await buildTestApp({ RATE_LIMIT_MAX: '1' });

    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await app.inject({ method: 'GET', url: '/health/live' })).statusCode);
    }

    expect(statuses).toEqual([200, 200, 200]);
  });

  it('when the OpenAPI document is requested, then it is OpenAPI 3.1 describing the orders API', async () => {
    app = await buildTestApp();

    const response = await app.inject({ method: 'GET', url: '/openapi.json' });

    expect(response.statusCode).toBe(200);
    const document = response.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/orders', '/orders/{id}', '/health/ready']),
    );
  });
});
