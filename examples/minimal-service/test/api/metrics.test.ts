import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

describe('GET /metrics', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await buildTestApp();
  });

  afterEach(async () => {
    await app.server.close();
  });

  async function scrape(): Promise<string> {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    return response.body;
  }

  it('when requests were served, then the histogram is labelled by route template, never raw URL', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    await app.inject({ method: 'GET', url: `/orders/${id}` });

    const body = await scrape();

    expect(body).toContain(
      'http_request_duration_seconds_count{method="GET",route="/orders/:id",status_class="4xx"} 1',
    );
    expect(body).not.toContain(id);
  });

  it('when an order is created, then the business counter increases', async () => {
    await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customerId: 'c', items: [{ sku: 'SKU-1', quantity: 1 }] },
    });

    expect(await scrape()).toContain('orders_created_total 1');
  });

  it('when scraped, then readiness, in-flight, event-loop and process metrics are exported', async () => {
    const body = await scrape();

    for (const name of [
      'service_ready 1',
      'http_requests_in_flight',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_eventloop_utilization_ratio',
      'process_resident_memory_bytes',
    ]) {
      expect(body).toContain(name);
    }
  });

  it('when the service drains, then service_ready drops to 0', async () => {
    app.readiness.startDraining();

    expect(await scrape()).toContain('service_ready 0');
  });
});
