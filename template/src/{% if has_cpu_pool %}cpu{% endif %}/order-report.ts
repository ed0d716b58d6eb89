import { createHash } from 'node:crypto';

import type { OrderStatus } from '../repositories/order-repository.js';

/** An order as the report needs it: only these fields cross the thread boundary, to keep copies small. */
export interface ReportOrder {
  readonly id: string;
  readonly status: OrderStatus;
  readonly items: readonly { readonly sku: string; readonly quantity: number }[];
}

export interface OrderReportTask {
  readonly orders: readonly ReportOrder[];
  /**
   * Orders generated from a fixed seed and added to the real ones. They stand in for a large
   * order history so the example has a real, tunable CPU cost; the report says how many there were.
   */
  readonly syntheticOrders: number;
}

/** Nearest-rank percentiles; all zero for an empty set. */
export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export interface SkuSummary {
  readonly sku: string;
  readonly orders: number;
  readonly quantity: number;
  readonly quantityPerOrder: Percentiles;
}

export interface OrderReport {
  /** Every order counted, real and synthetic. */
  readonly orders: number;
  readonly syntheticOrders: number;
  readonly byStatus: Readonly<Record<OrderStatus, number>>;
  readonly itemsPerOrder: Percentiles;
  readonly distinctSkus: number;
  /** The SKUs with the largest total quantity, largest first (ties by SKU). */
  readonly topSkus: SkuSummary[];
  /** SHA-256 over every order line in input order: equal inputs give equal digests. */
  readonly digest: string;
}

export const TOP_SKUS = 20;

const SYNTHETIC_SEED = 0x5eed;
const SYNTHETIC_CATALOGUE_SIZE = 500;
// Coprime with the catalogue size, so the SKUs of one synthetic order never repeat.
const SYNTHETIC_SKU_STRIDE = 37;
const SYNTHETIC_MAX_ITEMS = 8;

/**
 * Builds the order report. Pure and synchronous on purpose: it runs inside a worker thread, where
 * blocking is fine, and unit tests call it directly. Never call it on the event loop with a large
 * input: it computes for as long as the input is large.
 */
export function buildOrderReport(task: OrderReportTask): OrderReport {
  const accumulator = new ReportAccumulator();
  for (const order of task.orders) accumulator.add(order);
  for (const order of generateSyntheticOrders(task.syntheticOrders)) accumulator.add(order);
  return accumulator.report(task.syntheticOrders);
}

interface SkuStats {
  orders: number;
  quantity: number;
  readonly quantities: number[];
}

class ReportAccumulator {
  readonly #hash = createHash('sha256');
  readonly #skus = new Map<string, SkuStats>();
  readonly #itemsPerOrder: number[] = [];
  readonly #byStatus: Record<OrderStatus, number> = { pending: 0, confirmed: 0, cancelled: 0 };

  add(order: ReportOrder): void {
    this.#byStatus[order.status] += 1;
    this.#itemsPerOrder.push(order.items.length);
    let line = `${order.id}\t${order.status}`;
    for (const { sku, quantity } of order.items) {
      line += `\t${sku}:${quantity}`;
      let stats = this.#skus.get(sku);
      if (stats === undefined) {
        stats = { orders: 0, quantity: 0, quantities: [] };
        this.#skus.set(sku, stats);
      }
      stats.orders += 1;
      stats.quantity += quantity;
      stats.quantities.push(quantity);
    }
    this.#hash.update(`${line}\n`);
  }

  report(syntheticOrders: number): OrderReport {
    const ranked = [...this.#skus].sort(
      ([skuA, a], [skuB, b]) => b.quantity - a.quantity || (skuA < skuB ? -1 : 1),
    );
    return {
      orders: this.#itemsPerOrder.length,
      syntheticOrders,
      byStatus: { ...this.#byStatus },
      itemsPerOrder: percentiles(this.#itemsPerOrder),
      distinctSkus: this.#skus.size,
      topSkus: ranked.slice(0, TOP_SKUS).map(([sku, stats]) => ({
        sku,
        orders: stats.orders,
        quantity: stats.quantity,
        quantityPerOrder: percentiles(stats.quantities),
      })),
      digest: this.#hash.digest('hex'),
    };
  }
}

export function percentiles(values: readonly number[]): Percentiles {
  // A typed array sorts numerically and much faster than a generic array with a comparator.
  const sorted = Float64Array.from(values).sort();
  const rank = (share: number) => sorted[Math.max(Math.ceil(share * sorted.length) - 1, 0)] ?? 0;
  return { p50: rank(0.5), p90: rank(0.9), p99: rank(0.99), max: sorted.at(-1) ?? 0 };
}

function* generateSyntheticOrders(count: number): Generator<ReportOrder> {
  const random = seededRandom(SYNTHETIC_SEED);
  for (let index = 0; index < count; index++) {
    const itemCount = 1 + Math.floor(random() * SYNTHETIC_MAX_ITEMS);
    const first = Math.floor(random() * SYNTHETIC_CATALOGUE_SIZE);
    const items = [];
    for (let item = 0; item < itemCount; item++) {
      const catalogueIndex = (first + item * SYNTHETIC_SKU_STRIDE) % SYNTHETIC_CATALOGUE_SIZE;
      // Cubed, so a few quantities are large and most are small, as in real orders.
      const quantity = 1 + Math.floor(random() ** 3 * 100);
      items.push({ sku: `SYN-${String(catalogueIndex).padStart(4, '0')}`, quantity });
    }
    const draw = random();
    const status: OrderStatus = draw < 0.7 ? 'confirmed' : draw < 0.9 ? 'pending' : 'cancelled';
    yield { id: `synthetic-${String(index)}`, status, items };
  }
}

/** mulberry32: a tiny deterministic generator, so equal requests produce equal reports. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
