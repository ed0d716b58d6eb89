import {
  BusinessRuleError,
  ConflictError,
  NotFoundError,
  ValidationError,
} from '../errors/app-errors.js';
import type { IdempotencyStore } from '../repositories/idempotency-store.js';
import type { Order, OrderItem, OrderRepository } from '../repositories/order-repository.js';
import { decodeCursor, encodeCursor } from '../utils/cursor.js';
import { fingerprint } from '../utils/fingerprint.js';

// Controllers speak in these types without reaching past the service into the data layer.
export type { Order, OrderItem, OrderStatus } from '../repositories/order-repository.js';

export interface NewOrder {
  readonly customerId: string;
  readonly items: readonly OrderItem[];
}

export interface CreateOrderResult {
  readonly order: Order;
  /** True when an earlier request with the same idempotency key already created this order. */
  readonly replayed: boolean;
}

export interface OrderPage {
  readonly items: readonly Order[];
  /** Pass back to get the next page; `null` on the last page. */
  readonly nextCursor: string | null;
}

/** Business events the service reports; the composition root decides where they are recorded. */
export interface OrderEvents {
  orderCreated(order: Order): void;
}

export interface OrderServiceDependencies {
  readonly orders: OrderRepository;
  readonly idempotency: IdempotencyStore<Order>;
  readonly events: OrderEvents;
  readonly now: () => Date;
  readonly newId: () => string;
}

export class OrderService {
  readonly #deps: OrderServiceDependencies;

  constructor(deps: OrderServiceDependencies) {
    this.#deps = deps;
  }

  /**
   * Creates an order. With an idempotency key, a retry of the same request returns the order
   * created the first time; reusing the key for a different request is refused.
   */
  async createOrder(input: NewOrder, idempotencyKey?: string): Promise<CreateOrderResult> {
    assertEachSkuOnce(input.items);
    if (idempotencyKey === undefined) {
      return { order: await this.#insert(input), replayed: false };
    }

    const { idempotency } = this.#deps;
    const requestFingerprint = fingerprint(input);
    const existing = await idempotency.claim(idempotencyKey, requestFingerprint);
    if (existing !== undefined) {
      if (existing.fingerprint !== requestFingerprint) {
        throw new BusinessRuleError(
          'This Idempotency-Key was already used with a different request body.',
        );
      }
      if (existing.state === 'in-progress') {
        throw new ConflictError(
          'A request with this Idempotency-Key is still being processed; retry shortly.',
        );
      }
      return { order: existing.result, replayed: true };
    }

    try {
      const order = await this.#insert(input);
      await idempotency.complete(idempotencyKey, order);
      return { order, replayed: false };
    } catch (error) {
      await idempotency.release(idempotencyKey);
      throw error;
    }
  }

  async getOrder(id: string): Promise<Order> {
    const order = await this.#deps.orders.findById(id);
    if (order === undefined) throw new NotFoundError(`Order ${id} does not exist.`);
    return order;
  }

  async listOrders(query: {
    readonly limit: number;
    readonly cursor?: string;
  }): Promise<OrderPage> {
    const after = query.cursor === undefined ? undefined : decodeOrderCursor(query.cursor);
    // One extra row tells whether another page exists without a separate count query.
    const rows = await this.#deps.orders.list({
      limit: query.limit + 1,
      ...(after === undefined ? {} : { after }),
    });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    const nextCursor =
      rows.length > query.limit && last !== undefined
        ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id })
        : null;
    return { items, nextCursor };
  }

  async #insert(input: NewOrder): Promise<Order> {
    const order: Order = {
      id: this.#deps.newId(),
      customerId: input.customerId,
      items: input.items.map(({ sku, quantity }) => ({ sku, quantity })),
      status: 'pending',
      createdAt: this.#deps.now(),
    };
    await this.#deps.orders.insert(order);
    this.#deps.events.orderCreated(order);
    return order;
  }
}

function assertEachSkuOnce(items: readonly OrderItem[]): void {
  const seen = new Set<string>();
  for (const { sku } of items) {
    if (seen.has(sku)) {
      throw new BusinessRuleError(`SKU ${sku} appears more than once; combine its quantities.`);
    }
    seen.add(sku);
  }
}

function decodeOrderCursor(cursor: string) {
  const fields = decodeCursor(cursor, ['createdAt', 'id']);
  const createdAt = fields === undefined ? Number.NaN : Date.parse(fields.createdAt);
  if (fields === undefined || Number.isNaN(createdAt)) {
    throw new ValidationError(
      'The cursor is invalid; use a nextCursor value returned by this API.',
    );
  }
  return { createdAt: new Date(createdAt), id: fields.id };
}
