import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

describe('API documentation', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await buildTestApp();
  });

  afterEach(async () => {
    await app.server.close();
  });

  it('when /docs is requested, then Swagger UI is served', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });

  it('when every route is documented, then each declares its problem responses', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    const document = response.json<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();

    expect(Object.keys(document.paths['/orders']?.['post']?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '400', '409', '413', '415', '422', '429', '500', '503']),
    );
    expect(Object.keys(document.paths['/orders/{id}']?.['get']?.responses ?? {})).toContain('404');
  });
});
