import { z } from 'zod';

// Identifiers are printable text: no control characters (Postgres cannot store NUL in text).
// A plain negated class: linear to match, and fuzzers can generate from it.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const PRINTABLE_TEXT = /^[^\u0000-\u001F\u007F-\u009F]*$/u;

function identifier(maxLength: number) {
  return z
    .string()
    .min(1)
    .max(maxLength)
    .regex(PRINTABLE_TEXT, 'must not contain control characters');
}

export const orderItemSchema = z.strictObject({
  sku: identifier(64),
  quantity: z.int().min(1).max(10_000),
});

export const newOrderSchema = z
  .strictObject({
    customerId: identifier(128),
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
