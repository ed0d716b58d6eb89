import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

/** What buildApp hands every resource. */
export interface ResourceDependencies {
  readonly now: () => Date;
  readonly newId: () => string;
}

/**
 * One resource added with `scaffold add resource`: a plugin that builds its repository, service
 * and controller and registers its routes. `resources` in ./registry.ts lists them.
 */
export type ResourceModule = FastifyPluginAsyncZod<ResourceDependencies>;
