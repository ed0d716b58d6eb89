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
});
