import { InsufficientStorageError } from '../errors/app-errors.js';
import type { ListOrdersQuery, Order, OrderPosition, OrderRepository } from './order-repository.js';

function compareByPosition(a: OrderPosition, b: OrderPosition): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

export interface InMemoryOrderRepositoryOptions {
  /** Orders kept at most; past it, new orders are refused (507) instead of filling memory. */
  readonly capacity: number;
}

/** Keeps orders in process memory: for tests and for running without a database. */
export class InMemoryOrderRepository implements OrderRepository {
  readonly #orders = new Map<string, Order>();
  readonly capacity: number;

  constructor({ capacity }: InMemoryOrderRepositoryOptions) {
    this.capacity = capacity;
  }

  /** Orders held now. */
  get size(): number {
    return this.#orders.size;
  }

  insert(order: Order): Promise<void> {
    if (this.#orders.size >= this.capacity && !this.#orders.has(order.id)) {
      return Promise.reject(
        new InsufficientStorageError(
          `The in-memory order store is full (${String(this.capacity)} orders); it keeps orders only until the process restarts.`,
        ),
      );
    }
    this.#orders.set(order.id, order);
    return Promise.resolve();
  }

  findById(id: string): Promise<Order | undefined> {
    return Promise.resolve(this.#orders.get(id));
  }

  list({ limit, after }: ListOrdersQuery): Promise<Order[]> {
    const sorted = [...this.#orders.values()].sort(compareByPosition);
    const start =
      after === undefined ? 0 : sorted.findIndex((order) => compareByPosition(order, after) > 0);
    return Promise.resolve(start === -1 ? [] : sorted.slice(start, start + limit));
  }
}
