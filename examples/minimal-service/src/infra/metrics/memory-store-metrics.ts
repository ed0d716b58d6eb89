import { Gauge, type Registry } from 'prom-client';

/** What the metrics read from a bounded in-memory store; the store stays free of prom-client. */
export interface BoundedStore {
  readonly size: number;
  readonly capacity: number;
}

/** Puts one more in-memory store on the metrics, under its name. */
export type TrackMemoryStore = (name: string, store: BoundedStore) => void;

/**
 * Fill of each in-memory store: alert before it reaches its capacity and refuses with 507.
 * Returns the function that adds a store created later (the resources' repositories).
 */
export function registerMemoryStoreMetrics(
  registry: Registry,
  stores: Readonly<Record<string, BoundedStore>>,
): TrackMemoryStore {
  const tracked = new Map(Object.entries(stores));
  new Gauge({
    name: 'memory_store_entries',
    help: 'Entries held by an in-memory store.',
    labelNames: ['store'],
    registers: [registry],
    collect() {
      for (const [store, { size }] of tracked) this.set({ store }, size);
    },
  });
  new Gauge({
    name: 'memory_store_capacity',
    help: 'Entries an in-memory store holds at most; past it, it refuses new ones (507).',
    labelNames: ['store'],
    registers: [registry],
    collect() {
      for (const [store, { capacity }] of tracked) this.set({ store }, capacity);
    },
  });
  return (name, store) => {
    tracked.set(name, store);
  };
}
