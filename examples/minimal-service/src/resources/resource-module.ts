import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

import type { BoundedStore } from '../infra/metrics/memory-store-metrics.js';

/** What buildApp hands every resource. */
export interface ResourceDependencies {
  readonly now: () => Date;
  readonly newId: () => string;
  /** Entries each repository kept in process memory holds at most (RESOURCE_STORE_CAPACITY). */
  readonly memoryStoreCapacity: number;
  /** Reports a repository kept in process memory on the memory_store_* metrics, by name. */
  readonly trackMemoryStore: (name: string, store: BoundedStore) => void;
}

/**
 * One resource added with `scaffold add resource`: a plugin that builds its repository, service
 * and controller and registers its routes. `resources` in ./registry.ts lists them.
 */
export type ResourceModule = FastifyPluginAsyncZod<ResourceDependencies>;
