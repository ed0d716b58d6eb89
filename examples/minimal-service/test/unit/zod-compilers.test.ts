import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { zodSchemaController } from '../../src/infra/http/zod-compilers.js';

const accountSchema = z.object({ id: z.uuid(), name: z.string(), createdAt: z.iso.datetime() });

/** An app whose one route answers `body`; the errors it raises are kept in `errors`. */
async function appAnswering(body: unknown, response: unknown = accountSchema) {
  const errors: unknown[] = [];
  const app = Fastify({ schemaController: zodSchemaController() });
  app.setErrorHandler((error, _request, reply) => {
    errors.push(error);
    return reply.code(500).send('');
  });
  app.get('/account', { schema: { response: { 200: response } } }, () => body);
  await app.ready();
  return { app, errors };
}

describe('zod response serializer', () => {
  it('when a handler returns fields its schema does not declare, then they are not sent', async () => {
    const { app } = await appAnswering({
      id: '0b9d6c38-7a4e-4f0e-9d6a-2f5a8f1c3b7e',
      name: 'Ada',
      createdAt: '2026-12-02T13:37:52.206Z',
      passwordHash: 'never on the wire',
    });

    const response = await app.inject({ method: 'GET', url: '/account' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      id: '0b9d6c38-7a4e-4f0e-9d6a-2f5a8f1c3b7e',
      name: 'Ada',
      createdAt: '2026-12-02T13:37:52.206Z',
    });
    expect(response.body).not.toContain('passwordHash');
  });

  it('when a response breaks its schema, then it is a 500 and zod names the field', async () => {
    const { app, errors } = await appAnswering({
      id: 'not-a-uuid',
      name: 'Ada',
      createdAt: new Date(),
    });

    const response = await app.inject({ method: 'GET', url: '/account' });

    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('not-a-uuid');
    expect(errors).toHaveLength(1);
    const error = errors[0] as Error & { code: string; cause: z.ZodError };
    expect(error.code).toBe('FST_ERR_RESPONSE_SERIALIZATION');
    expect(error.cause.issues.map((issue) => issue.path.join('.'))).toEqual(['id', 'createdAt']);
  });

  it('when a route declares a response schema that is not zod, then the app does not start', async () => {
    await expect(
      appAnswering({ name: 'Ada' }, { type: 'object', properties: { name: { type: 'string' } } }),
    ).rejects.toThrow(/GET: \/account.*Invalid schema passed/);
  });
});
