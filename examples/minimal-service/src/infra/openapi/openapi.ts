import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

import { operationalRouteConfig } from '../http/http-protection.js';
import { zodSchemaController } from '../http/zod-compilers.js';
import { registerApiDocs } from './api-docs.js';
import { referencedSchemasOnly } from './openapi-components.js';

// The version is the API contract's: bumped on breaking changes, independent of the package's.
const API_INFO = {
  title: 'Minimal Service',
  description: 'A production-ready Node.js service.',
  version: '1.0.0',
  // No licence is granted; an SPDX LicenseRef names a licence that is not on the SPDX list.
  license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
};

export interface OpenApiOptions {
  /** The document's server: where consumers reach the API. A relative '/' works behind any host. */
  readonly serverUrl: string;
}

/**
 * Serves the OpenAPI 3.1 document of the routes' zod schemas at /openapi.json, with Swagger UI
 * at /docs. Register it before the routes it describes: it records each route as it is added.
 *
 * The document is built when it is first requested, by @fastify/swagger on a scratch instance
 * holding the same routes. The generator and its YAML and JSON Schema libraries cost about
 * 20 ms of start-up and a few MiB, which an instance that is never asked for its document saves.
 */
export function registerOpenApi(app: FastifyInstance, { serverUrl }: OpenApiOptions): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  registerApiDocs(app, { title: API_INFO.title });

  let document: Promise<unknown> | undefined;
  app.get('/openapi.json', { schema: { hide: true }, config: operationalRouteConfig }, () => {
    document ??= describeRoutes(routes, serverUrl).catch((error: unknown) => {
      document = undefined;
      throw error;
    });
    return document;
  });
}

async function describeRoutes(
  routes: readonly RouteOptions[],
  serverUrl: string,
): Promise<unknown> {
  const { default: swagger } = await import('@fastify/swagger');
  // HEAD routes are copied with the rest instead of being added again for each GET.
  const scratch = Fastify({ schemaController: zodSchemaController(), exposeHeadRoutes: false });
  await scratch.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: API_INFO,
      servers: [{ url: serverUrl }],
    },
    // Paths are the routes as the service serves them, whatever the server URL's path is.
    stripBasePath: false,
    transform: jsonSchemaTransform,
    transformObject: (document) => referencedSchemasOnly(jsonSchemaTransformObject(document)),
  });
  for (const { method, url, schema } of routes) {
    scratch.route({
      method,
      url,
      ...(schema === undefined ? {} : { schema }),
      handler: () => null,
    });
  }
  await scratch.ready();
  const document = scratch.swagger();
  await scratch.close();
  return document;
}
