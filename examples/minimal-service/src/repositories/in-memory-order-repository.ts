import type { ListOrdersQuery, Order, OrderPosition, OrderRepository } from './order-repository.js';

function compareByPosition(a: OrderPosition, b: OrderPosition): number {
  const byTime = a.createdAt.getTime() - b.createdAt.getTime();
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/** Keeps orders in process memory: for tests and for running without a database. */
export class InMemoryOrderRepository implements OrderRepository {
  readonly #orders = new Map<string, Order>();

  insert(order: Order): Promise<void> {
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
