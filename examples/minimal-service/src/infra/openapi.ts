import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

import { operationalRouteConfig } from './http-protection.js';

// The version of the API contract, bumped on breaking changes; independent of the package version.
const API_VERSION = '1.0.0';

/**
 * Builds the OpenAPI 3.1 document from the routes' zod schemas and serves it at /openapi.json
 * (with Swagger UI at /docs). Must be registered before the routes it describes.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Minimal Service',
        description: 'A production-ready Node.js service.',
        version: API_VERSION,
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.get('/openapi.json', { schema: { hide: true }, config: operationalRouteConfig }, () =>
    app.swagger(),
  );
}
