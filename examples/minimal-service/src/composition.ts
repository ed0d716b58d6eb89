import { randomUUID } from 'node:crypto';

import { connectStores } from './features/connect-stores.js';
import type { FeatureContext, Replacements } from './features/context.js';
import { OrderService } from './services/order-service.js';

/** The services the routes call, and the stores added resources build on. */
export type Services = ReturnType<typeof composeServices>;

/**
 * The framework-neutral half of the composition root. Each module in src/features creates its
 * clients, registers their readiness checks and close hooks with the lifecycle, and returns the
 * ports the services need; src/app.ts builds the HTTP server around the result.
 */
export function composeServices(context: FeatureContext, replace: Replacements = {}) {
  const stores = (replace.stores ?? connectStores)(context);
  const orders = new OrderService({
    orders: stores.orders,
    idempotency: stores.idempotency,
    events: {
      orderCreated: () => {
        context.metrics.ordersCreated.inc();
      },
    },
    now: () => new Date(),
    newId: randomUUID,
  });
  return {
    stores,
    orders,
  };
}
