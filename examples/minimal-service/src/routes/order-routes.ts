import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';

import { OrderController } from '../controllers/order-controller.js';
import { problemResponses } from '../errors/problem-details.js';
import {
  createOrderHeadersSchema,
  listOrdersQuerySchema,
  newOrderSchema,
  orderIdParamsSchema,
  orderPageSchema,
  orderSchema,
} from './order-schemas.js';
import type { RouteOptions } from './route-options.js';

// No orders route asks for credentials; the document says so explicitly.
const security: [] = [];

export const orderRoutes: FastifyPluginCallbackZod<RouteOptions> = (app, { services }, done) => {
  const controller = new OrderController(services.orders);

  app.post(
    '/orders',
    {
      schema: {
        operationId: 'createOrder',
        summary: 'Create an order',
        tags: ['orders'],
        security,
        headers: createOrderHeadersSchema,
        body: newOrderSchema,
        response: {
          201: orderSchema,
          ...problemResponses(400, 409, 413, 415, 422, 429, 500, 503, 507),
        },
      },
    },
    async (request, reply) => {
      const result = await controller.create(request.body, request.headers['idempotency-key']);
      // A replay answers exactly like the original request did, so retries are indistinguishable.
      return reply.code(201).headers(result.headers).send(result.body);
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        operationId: 'getOrder',
        summary: 'Get an order',
        tags: ['orders'],
        security,
        params: orderIdParamsSchema,
        response: {
          200: orderSchema,
          ...problemResponses(400, 404, 429, 500, 503),
        },
      },
    },
    (request) => controller.get(request.params.id),
  );

  app.get(
    '/orders',
    {
      schema: {
        operationId: 'listOrders',
        summary: 'List orders, oldest first, one page at a time',
        tags: ['orders'],
        security,
        querystring: listOrdersQuerySchema,
        response: {
          200: orderPageSchema,
          ...problemResponses(400, 429, 500, 503),
        },
      },
    },
    (request) => controller.list(request.query),
  );
  done();
};
