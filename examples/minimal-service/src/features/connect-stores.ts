import { registerMemoryStoreMetrics } from '../infra/metrics/memory-store-metrics.js';
import { IDEMPOTENCY_TTL_MS } from '../repositories/idempotency-store.js';
import { InMemoryIdempotencyStore } from '../repositories/in-memory-idempotency-store.js';
import { InMemoryOrderRepository } from '../repositories/in-memory-order-repository.js';
import type { Order } from '../repositories/order-repository.js';
import type { FeatureContext } from './context.js';
import type { Stores } from './stores.js';

/** Orders and idempotency keys in process memory, bounded: a full store refuses with 507. */
export function connectStores(context: FeatureContext): Stores {
  const { config } = context;
  const orders = new InMemoryOrderRepository({ capacity: config.memoryStores.orders });
  const idempotency = new InMemoryIdempotencyStore<Order>({
    ttlMs: IDEMPOTENCY_TTL_MS,
    capacity: config.memoryStores.idempotencyKeys,
  });
  return {
    orders,
    idempotency,
    trackMemoryStore: registerMemoryStoreMetrics(context.metrics.registry, {
      orders,
      'idempotency-keys': idempotency,
    }),
  };
}
