import { describe, expect, it, vi } from 'vitest';

import {
  BusinessRuleError,
  ConflictError,
  NotFoundError,
  ValidationError,
} from '../../src/errors/app-errors.js';
import { InMemoryIdempotencyStore } from '../../src/repositories/in-memory-idempotency-store.js';
import { InMemoryOrderRepository } from '../../src/repositories/in-memory-order-repository.js';
import type { Order } from '../../src/repositories/order-repository.js';
import { OrderService } from '../../src/services/order-service.js';
import { fingerprint } from '../../src/utils/fingerprint.js';

const newOrder = { customerId: 'customer-1', items: [{ sku: 'SKU-1', quantity: 2 }] };

function createService() {
  let sequence = 0;
  const idempotency = new InMemoryIdempotencyStore<Order>({ ttlMs: 60_000, capacity: 1_000 });
  const events = { orderCreated: vi.fn() };
  const service = new OrderService({
    orders: new InMemoryOrderRepository({ capacity: 1_000 }),
    idempotency,
    events,
    // A fixed clock and predictable ids keep assertions exact.
    now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, sequence)),
    newId: () => `order-${String(++sequence).padStart(3, '0')}`,
  });
  return { service, idempotency, events };
}

describe('OrderService', () => {
  it('when an order is created, then it is pending and can be read back', async () => {
    const { service } = createService();

    const { order, replayed } = await service.createOrder(newOrder);

    expect(replayed).toBe(false);
    expect(order).toMatchObject({
      customerId: 'customer-1',
      status: 'pending',
      items: newOrder.items,
    });
    await expect(service.getOrder(order.id)).resolves.toEqual(order);
  });

  it('when a SKU appears twice, then the business rule rejects the order', async () => {
    const { service } = createService();
    const items = [
      { sku: 'SKU-1', quantity: 1 },
      { sku: 'SKU-1', quantity: 3 },
    ];

    await expect(service.createOrder({ customerId: 'customer-1', items })).rejects.toBeInstanceOf(
      BusinessRuleError,
    );
  });

  it('when the order does not exist, then reading it fails with not found', async () => {
    const { service } = createService();

    await expect(service.getOrder('missing')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('when the same idempotency key and body are sent twice, then the first order is replayed', async () => {
    const { service, events } = createService();

    const first = await service.createOrder(newOrder, 'key-1');
    const second = await service.createOrder({ ...newOrder }, 'key-1');

    expect(second).toEqual({ order: first.order, replayed: true });
    expect((await service.listOrders({ limit: 10 })).items).toHaveLength(1);
    expect(events.orderCreated).toHaveBeenCalledTimes(1);
  });

  it('when an idempotency key is reused with a different body, then the request is rejected', async () => {
    const { service } = createService();
    await service.createOrder(newOrder, 'key-1');

    await expect(
      service.createOrder({ ...newOrder, customerId: 'customer-2' }, 'key-1'),
    ).rejects.toBeInstanceOf(BusinessRuleError);
  });

  it('when the first request with a key is still running, then a retry gets a conflict', async () => {
    const { service, idempotency } = createService();
    await idempotency.claim('key-1', fingerprint(newOrder));

    await expect(service.createOrder(newOrder, 'key-1')).rejects.toBeInstanceOf(ConflictError);
  });

  it('when orders span several pages, then following nextCursor visits each exactly once', async () => {
    const { service } = createService();
    for (let index = 0; index < 5; index += 1) {
      await service.createOrder({ customerId: `customer-${String(index)}`, items: newOrder.items });
    }

    const first = await service.listOrders({ limit: 2 });
    const second = await service.listOrders({ limit: 2, cursor: first.nextCursor ?? '' });
    const third = await service.listOrders({ limit: 2, cursor: second.nextCursor ?? '' });

    const ids = [...first.items, ...second.items, ...third.items].map((order) => order.id);
    expect(ids).toEqual(['order-001', 'order-002', 'order-003', 'order-004', 'order-005']);
    expect(third.nextCursor).toBeNull();
  });

  it('when the cursor was not produced by the service, then listing fails validation', async () => {
    const { service } = createService();

    await expect(service.listOrders({ limit: 2, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
