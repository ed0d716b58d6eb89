import type { z } from 'zod';

import { integer } from './env.js';

/** Capacities of the stores kept in process memory; merged into the service's env schema. */
export const memoryStoresEnvShape = {
  ORDER_STORE_CAPACITY: integer(1).default(5_000),
  RESOURCE_STORE_CAPACITY: integer(1).default(5_000),
  IDEMPOTENCY_STORE_CAPACITY: integer(1).default(10_000),
};

type MemoryStoresEnv = z.output<z.ZodObject<typeof memoryStoresEnvShape>>;

/** Capacities of the stores kept in process memory (entries); full stores refuse with 507. */
export interface MemoryStoresConfig {
  readonly orders: number;
  readonly idempotencyKeys: number;
  /** Each repository of a resource added with `scaffold add resource`. */
  readonly resources: number;
}

export function memoryStoresConfigFrom(env: MemoryStoresEnv): MemoryStoresConfig {
  return {
    orders: env.ORDER_STORE_CAPACITY,
    idempotencyKeys: env.IDEMPOTENCY_STORE_CAPACITY,
    resources: env.RESOURCE_STORE_CAPACITY,
  };
}
