-- Orders, their items and stored idempotency outcomes.
-- Migrations are forward-only and run in a transaction each (`npm run migrate`); an applied
-- file is never edited: add a new numbered file instead.

CREATE TABLE orders (
  id uuid PRIMARY KEY,
  customer_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
  created_at timestamptz NOT NULL
);

-- Cursor pagination walks (created_at, id) in order.
CREATE INDEX orders_created_at_id_idx ON orders (created_at, id);

CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  position smallint NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, position),
  UNIQUE (order_id, sku)
);

CREATE TABLE idempotency_keys (
  key text PRIMARY KEY,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('in-progress', 'completed')),
  result jsonb,
  expires_at timestamptz NOT NULL
);

-- Expired keys are deleted in batches by expiry time.
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
