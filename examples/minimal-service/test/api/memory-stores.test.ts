import { afterEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

const newOrder = { customerId: 'customer-1', items: [{ sku: 'SKU-1', quantity: 2 }] };

describe('in-memory stores', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.server.close();
  });

  it('when ORDER_STORE_CAPACITY orders are stored, then the next order is a 507 problem and reads still work', async () => {
    app = await buildTestApp({ ORDER_STORE_CAPACITY: '2' });
    const stored = [
      await app.inject({ method: 'POST', url: '/orders', payload: newOrder }),
      await app.inject({ method: 'POST', url: '/orders', payload: newOrder }),
    ];

    const refused = await app.inject({ method: 'POST', url: '/orders', payload: newOrder });
    const listed = await app.inject({ method: 'GET', url: '/orders' });

    expect(stored.map((response) => response.statusCode)).toEqual([201, 201]);
    expect(refused.statusCode).toBe(507);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      status: 507,
      type: 'urn:problem-type:insufficient-storage',
    });
    expect(listed.json<{ items: unknown[] }>().items).toHaveLength(2);
  });

  it('when IDEMPOTENCY_STORE_CAPACITY keys are held, then a new key is a 507 problem and a known one replays', async () => {
    app = await buildTestApp({ IDEMPOTENCY_STORE_CAPACITY: '1' });
    const post = (key: string) =>
      app?.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'idempotency-key': key },
        payload: newOrder,
      });

    const first = await post('key-1');
    const refused = await post('key-2');
    const replayed = await post('key-1');

    expect(first?.statusCode).toBe(201);
    expect(refused?.statusCode).toBe(507);
    expect(replayed?.statusCode).toBe(201);
    expect(replayed?.json()).toEqual(first?.json());
  });

  it('when orders are stored, then /metrics shows the entries and capacity of each store', async () => {
    app = await buildTestApp({ ORDER_STORE_CAPACITY: '7' });
    await app.inject({ method: 'POST', url: '/orders', payload: newOrder });

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;

    expect(metrics).toContain('memory_store_entries{store="orders"} 1');
    expect(metrics).toContain('memory_store_capacity{store="orders"} 7');
    expect(metrics).toContain('memory_store_capacity{store="idempotency-keys"} 10000');
  });
});
