import { z } from 'zod';

export const orderItemSchema = z.strictObject({
  sku: z.string().min(1).max(64),
  quantity: z.int().min(1).max(10_000),
});

export const newOrderSchema = z
  .strictObject({
    customerId: z.string().min(1).max(128),
    items: z.array(orderItemSchema).min(1).max(100),
  })
  .meta({ id: 'NewOrder' });

export const orderSchema = z
  .object({
    id: z.uuid(),
    customerId: z.string(),
    items: z.array(z.object({ sku: z.string(), quantity: z.int() })),
    status: z.enum(['pending', 'confirmed', 'cancelled']),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Order' });

export const orderPageSchema = z
  .object({
    items: z.array(orderSchema),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'OrderPage' });

export const orderIdParamsSchema = z.object({ id: z.uuid() });

export const listOrdersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

export const createOrderHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe(
      'Retries with the same key and body return the first response instead of a new order.',
    ),
});
