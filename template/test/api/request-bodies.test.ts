import { PassThrough } from 'node:stream';

import { afterEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

const newOrder = { customerId: 'customer-1', items: [{ sku: 'SKU-1', quantity: 2 }] };

function nested(depth: number): string {
  return '{"customerId":"c","items":' + '['.repeat(depth) + ']'.repeat(depth) + '}';
}

describe('request bodies', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.server.close();
  });

  it('when a body nests deeper than JSON_MAX_DEPTH, then it is a 400 problem before parsing', async () => {
    app = await buildTestApp({ JSON_MAX_DEPTH: '64' });
    const depth = 500_000;

    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: '['.repeat(depth) + ']'.repeat(depth),
    });

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 400,
      detail: 'The JSON body nests deeper than 64 levels.',
    });
  });

  it('when a body nests exactly JSON_MAX_DEPTH deep, then it is parsed and validated', async () => {
    app = await buildTestApp({ JSON_MAX_DEPTH: '4' });

    const atLimit = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: nested(3),
    });
    const pastLimit = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: nested(4),
    });

    expect(atLimit.statusCode).toBe(400);
    expect(atLimit.json<{ detail: string }>().detail).toBe(
      'The request does not match the schema.',
    );
    expect(pastLimit.json<{ detail: string }>().detail).toMatch(/nests deeper than 4 levels/);
  });

  it('when brackets stand inside strings, then they do not count as nesting', async () => {
    app = await buildTestApp({ JSON_MAX_DEPTH: '4' });

    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customerId: '[{[{[{[{[{[{', items: [{ sku: '"[[[["', quantity: 1 }] },
    });

    expect(response.statusCode).toBe(201);
  });

  it('when a body carries __proto__ or constructor.prototype, then it is still a 400 problem', async () => {
    app = await buildTestApp();

    for (const payload of [
      '{"customerId":"c","items":[{"sku":"a","quantity":1}],"__proto__":{"polluted":1}}',
      '{"customerId":"c","items":[{"sku":"a","quantity":1}],"constructor":{"prototype":{"x":1}}}',
    ]) {
      const response = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('when a body is larger than BODY_LIMIT_BYTES, streamed or declared, then it is a 413 problem', async () => {
    app = await buildTestApp({ BODY_LIMIT_BYTES: '100' });
    const body = JSON.stringify({ ...newOrder, customerId: 'x'.repeat(200) });
    const streamed = new PassThrough();
    streamed.end(body);

    const declared = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: body,
    });
    const chunked = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: streamed,
    });

    expect(declared.statusCode).toBe(413);
    expect(chunked.statusCode).toBe(413);
    expect(chunked.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('when bodies still arriving hold BODY_BUFFER_LIMIT_BYTES, then another body is a 503 problem until they are done', async () => {
    app = await buildTestApp({ BODY_BUFFER_LIMIT_BYTES: '1000' });
    const body = JSON.stringify({ ...newOrder, customerId: 'x'.repeat(100) });
    const stalled = new PassThrough();
    const first = app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: stalled,
    });
    // Most of the buffer is taken by a body whose end has not arrived yet.
    stalled.write(body.slice(0, -2).padEnd(950, ' '));
    await new Promise((resolve) => setImmediate(resolve));

    const refused = await app.inject({ method: 'POST', url: '/orders', payload: newOrder });
    stalled.end(body.slice(-2));
    const accepted = await first;
    const afterwards = await app.inject({ method: 'POST', url: '/orders', payload: newOrder });

    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(accepted.statusCode).toBe(201);
    expect(afterwards.statusCode).toBe(201);
  });
});
