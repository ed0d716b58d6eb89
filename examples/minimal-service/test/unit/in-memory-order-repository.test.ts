import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { InsufficientStorageError } from '../../src/errors/app-errors.js';
import { InMemoryOrderRepository } from '../../src/repositories/in-memory-order-repository.js';
import type { Order } from '../../src/repositories/order-repository.js';

function newOrder(): Order {
  return {
    id: randomUUID(),
    customerId: 'customer-1',
    items: [{ sku: 'SKU-1', quantity: 1 }],
    status: 'pending',
    createdAt: new Date(),
  };
}

describe('InMemoryOrderRepository', () => {
  it('when it holds its capacity, then a new order is refused and stored ones stay readable', async () => {
    const orders = new InMemoryOrderRepository({ capacity: 2 });
    const stored = [newOrder(), newOrder()];
    for (const order of stored) await orders.insert(order);

    await expect(orders.insert(newOrder())).rejects.toBeInstanceOf(InsufficientStorageError);
    expect(orders.size).toBe(2);
    await expect(orders.findById(stored[0]?.id ?? '')).resolves.toEqual(stored[0]);
  });
});
