import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

interface OpenApiDocument {
  info: { license?: { name: string; identifier?: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const SCHEMA_REF = '#/components/schemas/';

function operations(document: OpenApiDocument): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      operation,
    ]),
  );
}

function schemaRefs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(schemaRefs);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [child] : schemaRefs(child),
  );
}

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

  async function openApiDocument(served: TestApp = app): Promise<OpenApiDocument> {
    const response = await served.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    return response.json<OpenApiDocument>();
  }

  it('when the document is served, then every operation is named after its controller method', async () => {
    const document = await openApiDocument();
    const names = Object.fromEntries(
      operations(document).map(([operation, { operationId }]) => [operation, operationId]),
    );

    // toMatchObject: operations of resources added later (`scaffold add resource`) are named
    // the same way and are checked by the pattern and uniqueness below.
    expect(names).toMatchObject({
      'GET /health/live': 'getLiveness',
      'GET /health/ready': 'getReadiness',
      'POST /orders': 'createOrder',
      'GET /orders': 'listOrders',
      'GET /orders/{id}': 'getOrder',
    });
    for (const [operation, operationId] of Object.entries(names)) {
      expect(operationId, operation).toMatch(/^[a-z]+[A-Z][A-Za-z]*$/);
    }
    expect(new Set(Object.values(names)).size).toBe(Object.keys(names).length);
  });

  it('when the document is served, then every operation states the security it needs', async () => {
    const document = await openApiDocument();

    for (const [operation, { security }] of operations(document)) {
      const expected: [] = [];
      expect({ operation, security }).toEqual({ operation, security: expected });
    }
  });

  it('when schemas are shared, then each is one component, referenced wherever it is used', async () => {
    const document = await openApiDocument();
    const components = Object.keys(document.components.schemas);
    const referenced = new Set(schemaRefs(document).map((ref) => ref.slice(SCHEMA_REF.length)));

    expect(components).toEqual(expect.arrayContaining(['NewOrder', 'Order', 'ProblemDetails']));
    expect(components.filter((name) => name.endsWith('Input'))).toEqual([]);
    expect(components.filter((name) => !referenced.has(name))).toEqual([]);
    expect(document.paths['/orders']?.['post']?.requestBody).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: `${SCHEMA_REF}NewOrder` } } },
    });
  });

  it('when PUBLIC_BASE_URL is unset, then the server is relative; when set, it is that URL', async () => {
    const behindProxy = await buildTestApp({ PUBLIC_BASE_URL: 'https://api.example.test/orders/' });
    const relative = await openApiDocument();
    const configured = await openApiDocument(behindProxy);
    await behindProxy.server.close();

    expect(relative.servers).toEqual([{ url: '/' }]);
    expect(configured.servers).toEqual([{ url: 'https://api.example.test/orders' }]);
    expect(Object.keys(configured.paths)).toContain('/orders/{id}');
  });

  it('when the document is served, then it names the licence of the project', async () => {
    const { info } = await openApiDocument();
    expect(info.license).toEqual({ name: 'Proprietary', identifier: 'LicenseRef-Proprietary' });
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
