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

  it('when /docs/ is requested, then Swagger UI is served for the OpenAPI document', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    const initializer = await app.inject({ method: 'GET', url: '/docs/swagger-initializer.js' });

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script src="./swagger-ui-bundle.js"></script>');
    expect(initializer.body).toContain("url: '../openapi.json'");
  });

  it('when /docs is requested without the slash, then it redirects to /docs/', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs' });

    expect(response.statusCode).toBe(301);
    expect(response.headers.location).toBe('/docs/');
  });

  it('when the page loads its assets, then they come from the swagger-ui-dist package', async () => {
    const bundle = await app.inject({ method: 'GET', url: '/docs/swagger-ui-bundle.js' });
    const stylesheet = await app.inject({ method: 'GET', url: '/docs/swagger-ui.css' });

    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/^text\/javascript/);
    expect(bundle.body).toContain('SwaggerUIBundle');
    expect(stylesheet.headers['content-type']).toMatch(/^text\/css/);
  });

  it('when a file of the package that the page does not use is requested, then it is not found', async () => {
    const responses = await Promise.all(
      ['/docs/package.json', '/docs/..%2Fpackage.json', '/docs/index.js'].map((url) =>
        app.inject({ method: 'GET', url }),
      ),
    );

    expect(responses.map((response) => response.statusCode)).toEqual([404, 404, 404]);
  });

  it('when the page is served, then its policy allows scripts of this origin only', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });

    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
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
