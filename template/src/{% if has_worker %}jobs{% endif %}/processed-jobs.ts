/**
 * Remembers which jobs have completed their side effect, so a redelivered job (a retry after
 * the side effect happened, a duplicate publish, a replay from the dead-letter queue) is a no-op.
 */
export interface ProcessedJobs {
  has(jobId: string): Promise<boolean>;
  markProcessed(jobId: string): Promise<void>;
}

/** Per-process memory with a bounded size: for tests, and for a single worker without Redis. */
export class InMemoryProcessedJobs implements ProcessedJobs {
  readonly #ids = new Set<string>();
  readonly #maxEntries: number;

  constructor({ maxEntries = 100_000 }: { maxEntries?: number } = {}) {
    this.#maxEntries = maxEntries;
  }

  has(jobId: string): Promise<boolean> {
    return Promise.resolve(this.#ids.has(jobId));
  }

  markProcessed(jobId: string): Promise<void> {
    this.#ids.add(jobId);
    // A Set iterates in insertion order, so the first entry is the oldest.
    if (this.#ids.size > this.#maxEntries) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return Promise.resolve();
  }
}
