import type { TrackMemoryStore } from '../infra/metrics/memory-store-metrics.js';
import type { IdempotencyStore } from '../repositories/idempotency-store.js';
import type { Order, OrderRepository } from '../repositories/order-repository.js';

/** Where orders and idempotency keys live, and what else is built on the same clients. */
export interface Stores {
  readonly orders: OrderRepository;
  readonly idempotency: IdempotencyStore<Order>;
  /** Reports a store kept in process memory on the memory_store_* metrics. */
  readonly trackMemoryStore: TrackMemoryStore;
}
