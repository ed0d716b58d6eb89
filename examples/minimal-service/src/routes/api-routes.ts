import { randomUUID } from 'node:crypto';

import type { FastifyInstance } from 'fastify';

import type { Services } from '../composition.js';
import type { Config } from '../config/config.js';
import { resources } from '../resources/registry.js';
import { orderRoutes } from './order-routes.js';
import type { RouteOptions } from './route-options.js';

export interface ApiRoutesOptions {
  readonly config: Config;
  readonly services: Services;
}

/**
 * Registers every route of the API but the health probes, then the resources `scaffold add
 * resource` added. The route plugins are registered on the server itself, so each keeps a single
 * encapsulation level (Fastify gives every level its own request and reply prototypes).
 */
export async function registerApiRoutes(
  app: FastifyInstance,
  options: ApiRoutesOptions,
): Promise<void> {
  const { services } = options;
  const routes: RouteOptions = {
    services,
  };
  await app.register(orderRoutes, routes);
  for (const resource of resources) {
    await app.register(resource, {
      now: () => new Date(),
      newId: randomUUID,
      memoryStoreCapacity: options.config.memoryStores.resources,
      trackMemoryStore: services.stores.trackMemoryStore,
    });
  }
}
