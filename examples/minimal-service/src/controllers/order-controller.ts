import type { NewOrder, Order, OrderService } from '../services/order-service.js';

/** An order as it appears on the wire: dates as ISO-8601 strings. */
export interface OrderDto {
  readonly id: string;
  readonly customerId: string;
  readonly items: { sku: string; quantity: number }[];
  readonly status: Order['status'];
  readonly createdAt: string;
}

/** A body with the headers that go with it; the route declares the status code with its schema. */
export interface HttpResult<Body> {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

function toDto(order: Order): OrderDto {
  return {
    id: order.id,
    customerId: order.customerId,
    items: order.items.map(({ sku, quantity }) => ({ sku, quantity })),
    status: order.status,
    createdAt: order.createdAt.toISOString(),
  };
}

/** Translates between HTTP and the order service: headers and wire formats. */
export class OrderController {
  readonly #orders: OrderService;

  constructor(orders: OrderService) {
    this.#orders = orders;
  }

  async create(input: NewOrder, idempotencyKey: string | undefined): Promise<HttpResult<OrderDto>> {
    const { order, replayed } = await this.#orders.createOrder(input, idempotencyKey);
    return {
      headers: {
        location: `/orders/${order.id}`,
        ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
      },
      body: toDto(order),
    };
  }

  async get(id: string): Promise<OrderDto> {
    return toDto(await this.#orders.getOrder(id));
  }

  async list(query: {
    readonly limit: number;
    readonly cursor?: string | undefined;
  }): Promise<{ items: OrderDto[]; nextCursor: string | null }> {
    const page = await this.#orders.listOrders({
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return { items: page.items.map(toDto), nextCursor: page.nextCursor };
  }
}
