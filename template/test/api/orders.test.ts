import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

const newOrder = { customerId: 'customer-1', items: [{ sku: 'SKU-1', quantity: 2 }] };

describe('orders API', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await buildTestApp();
  });

  afterEach(async () => {
    await app.server.close();
  });

  it('when a valid order is posted, then it is created and can be read back', async () => {
    const created = await app.inject({ method: 'POST', url: '/orders', payload: newOrder });

    expect(created.statusCode).toBe(201);
    const order = created.json<{ id: string }>();
    expect(order).toMatchObject({ ...newOrder, status: 'pending' });
    expect(created.headers.location).toBe(`/orders/${order.id}`);

    const fetched = await app.inject({ method: 'GET', url: `/orders/${order.id}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(order);
  });

  it('when the body violates the schema, then the answer is a 400 problem listing each issue', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customerId: '', items: [{ sku: 'SKU-1', quantity: 0 }] },
    });

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json<{ errors: { path: string }[] }>();
    expect(problem).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(problem.errors.map((error) => error.path)).toEqual(
      expect.arrayContaining(['/customerId', '/items/0/quantity']),
    );
  });

  it('when the order does not exist, then the answer is a 404 problem', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/orders/00000000-0000-4000-8000-000000000000',
    });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, type: 'urn:problem-type:not-found' });
  });

  it('when the same Idempotency-Key and body are retried, then the first response is replayed', async () => {
    const request = {
      method: 'POST' as const,
      url: '/orders',
      headers: { 'idempotency-key': 'retry-1' },
      payload: newOrder,
    };

    const first = await app.inject(request);
    const retry = await app.inject(request);

    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const list = await app.inject({ method: 'GET', url: '/orders' });
    expect(list.json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('when an Idempotency-Key is reused with another body, then the answer is a 422 problem', async () => {
    const headers = { 'idempotency-key': 'retry-2' };
    await app.inject({ method: 'POST', url: '/orders', headers, payload: newOrder });

    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers,
      payload: { ...newOrder, customerId: 'customer-2' },
    });

    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ status: 422, type: 'urn:problem-type:business-rule' });
  });

  it('when orders fill several pages, then nextCursor walks through all of them', async () => {
    for (const customerId of ['a', 'b', 'c']) {
      await app.inject({ method: 'POST', url: '/orders', payload: { ...newOrder, customerId } });
    }

    const first = await app.inject({ method: 'GET', url: '/orders?limit=2' });
    const page = first.json<{ items: { customerId: string }[]; nextCursor: string }>();
    const second = await app.inject({
      method: 'GET',
      url: `/orders?limit=2&cursor=${encodeURIComponent(page.nextCursor)}`,
    });
    const rest = second.json<{ items: { customerId: string }[]; nextCursor: string | null }>();

    // Orders created within one millisecond are listed by id: the walk is checked, not the order.
    const walked = [...page.items, ...rest.items].map((order) => order.customerId);
    expect(page.items).toHaveLength(2);
    expect(rest.nextCursor).toBeNull();
    expect(walked.sort()).toEqual(['a', 'b', 'c']);
  });

  it('when the cursor is garbage, then the answer is a 400 problem', async () => {
    const response = await app.inject({ method: 'GET', url: '/orders?cursor=garbage' });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'urn:problem-type:validation' });
  });
});
