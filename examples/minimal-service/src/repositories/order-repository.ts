export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
}

export type OrderStatus = 'pending' | 'confirmed' | 'cancelled';

export interface Order {
  readonly id: string;
  readonly customerId: string;
  readonly items: readonly OrderItem[];
  readonly status: OrderStatus;
  readonly createdAt: Date;
}

/** Position of the last order a client has seen; pages continue strictly after it. */
export interface OrderPosition {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ListOrdersQuery {
  readonly limit: number;
  readonly after?: OrderPosition;
}

/**
 * Storage port for orders. Services depend on this interface only, so a Postgres
 * implementation can replace the in-memory one without touching business rules.
 */
export interface OrderRepository {
  insert(order: Order): Promise<void>;
  findById(id: string): Promise<Order | undefined>;
  /** Orders by creation time then id, oldest first. */
  list(query: ListOrdersQuery): Promise<Order[]>;
}
