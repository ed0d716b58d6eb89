import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

describe('health endpoints', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await buildTestApp();
  });

  afterEach(async () => {
    await app.server.close();
  });

  it('when the process runs, then liveness answers 200', async () => {
    const response = await app.inject({ method: 'GET', url: '/health/live' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('when every dependency answers, then readiness answers 200 naming each check', async () => {
    app.readiness.register('stub-dependency', () => Promise.resolve());

    const response = await app.inject({ method: 'GET', url: '/health/ready' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      checks: { 'stub-dependency': { status: 'ok' } },
    });
  });

  it('when a dependency fails, then readiness answers 503', async () => {
    app.readiness.register('stub-dependency', () => Promise.reject(new Error('down')));

    const response = await app.inject({ method: 'GET', url: '/health/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      status: 'failed',
      checks: { 'stub-dependency': { status: 'failed', error: 'down' } },
    });
  });

  it('when the service is draining, then readiness answers 503 while liveness stays 200', async () => {
    app.readiness.startDraining();

    const ready = await app.inject({ method: 'GET', url: '/health/ready' });
    const live = await app.inject({ method: 'GET', url: '/health/live' });

    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'draining' });
    expect(live.statusCode).toBe(200);
  });

  it('when a dependency fails in production, then the readiness body names the check and its state only', async () => {
    const production = await buildTestApp({ NODE_ENV: 'production' });
    production.readiness.register('stub-dependency', () =>
      Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:55499')),
    );

    const response = await production.inject({ method: 'GET', url: '/health/ready' });
    await production.server.close();
    const body = response.json<{ status: string; checks: Record<string, object> }>();

    expect(response.statusCode).toBe(503);
    expect(body.status).toBe('failed');
    expect(body.checks['stub-dependency']).toEqual({ status: 'failed' });
    expect(Object.values(body.checks).map((check) => Object.keys(check))).not.toContainEqual(
      expect.arrayContaining(['error']),
    );
    expect(response.body).not.toContain('ECONNREFUSED');
  });

  it('when probes flood readiness, then the dependency is checked once per cache time', async () => {
    const cached = await buildTestApp({ READINESS_CACHE_MS: '60000' });
    let checks = 0;
    cached.readiness.register('database', async () => {
      checks += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    });

    const first = await Promise.all(
      Array.from({ length: 50 }, () => cached.inject({ method: 'GET', url: '/health/ready' })),
    );
    const later = await Promise.all(
      Array.from({ length: 50 }, () => cached.inject({ method: 'GET', url: '/health/ready' })),
    );
    await cached.server.close();

    expect([...first, ...later].every((response) => response.statusCode === 200)).toBe(true);
    expect(checks).toBe(1);
  });
});
