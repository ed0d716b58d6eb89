import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

import { TransientError, UnauthorizedError } from '../../src/errors/app-errors.js';
import { createErrorHandler } from '../../src/errors/error-handler.js';

function appThrowing(error: unknown, exposeInternalErrors: boolean) {
  const app = Fastify();
  app.setErrorHandler(createErrorHandler({ exposeInternalErrors }));
  app.get('/', () => {
    throw error;
  });
  return app;
}

describe('error handler', () => {
  it('when an unexpected error escapes in production, then the 500 problem hides its message', async () => {
    const app = appThrowing(new Error('password=hunter2 at db.internal'), false);

    const response = await app.inject({ method: 'GET', url: '/' });

    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toContain('hunter2');
    expect(response.json()).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' });
  });

  it('when an unexpected error escapes outside production, then the message helps debugging', async () => {
    const app = appThrowing(new Error('boom'), true);

    const response = await app.inject({ method: 'GET', url: '/' });

    expect(response.json()).toMatchObject({ status: 500, detail: 'boom' });
  });

  it('when a dependency is unavailable, then the answer is 503 with Retry-After', async () => {
    const app = appThrowing(new TransientError('queue unavailable', 7), false);

    const response = await app.inject({ method: 'GET', url: '/' });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json()).toMatchObject({ type: 'urn:problem-type:transient' });
  });

  it('when authentication fails, then the answer is 401 with a Bearer challenge', async () => {
    const app = appThrowing(new UnauthorizedError('no token'), false);

    const response = await app.inject({ method: 'GET', url: '/' });

    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('when the server is overloaded, then the answer is a 503 problem with Retry-After', async () => {
    const app = appThrowing(
      Object.assign(new Error('Service Unavailable'), { statusCode: 503 }),
      false,
    );

    const response = await app.inject({ method: 'GET', url: '/' });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('10');
  });
});
