import { InsufficientStorageError } from '../errors/app-errors.js';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency-store.js';

interface Entry<Result> {
  record: IdempotencyRecord<Result>;
  readonly expiresAt: number;
}

export interface InMemoryIdempotencyStoreOptions {
  /** How long a key is remembered; clients retrying later than this create a new resource. */
  readonly ttlMs: number;
  /** Keys remembered at most; past it, new keys are refused (507) until old ones expire. */
  readonly capacity: number;
  readonly now?: () => number;
}

/**
 * Single-process idempotency store; entries expire `ttlMs` after they were claimed, and at most
 * `capacity` are kept.
 */
export class InMemoryIdempotencyStore<Result> implements IdempotencyStore<Result> {
  // Every entry lives for the same ttl, so insertion order is expiry order: expired entries
  // are always at the front of the map and pruning never scans live ones.
  readonly #entries = new Map<string, Entry<Result>>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly capacity: number;

  constructor({ ttlMs, capacity, now = Date.now }: InMemoryIdempotencyStoreOptions) {
    this.#ttlMs = ttlMs;
    this.capacity = capacity;
    this.#now = now;
  }

  /** Keys held now, expired ones not yet pruned included. */
  get size(): number {
    return this.#entries.size;
  }

  claim(key: string, fingerprint: string): Promise<IdempotencyRecord<Result> | undefined> {
    this.#pruneExpired();
    const existing = this.#entries.get(key);
    if (existing !== undefined) return Promise.resolve(existing.record);
    if (this.#entries.size >= this.capacity) {
      // Evicting the oldest key instead would let its retry create a second order, silently.
      return Promise.reject(
        new InsufficientStorageError(
          `The in-memory idempotency store is full (${String(this.capacity)} keys); retry without the key or later, when old keys have expired.`,
        ),
      );
    }
    this.#entries.set(key, {
      record: { state: 'in-progress', fingerprint },
      expiresAt: this.#now() + this.#ttlMs,
    });
    return Promise.resolve(undefined);
  }

  complete(key: string, result: Result): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.record = { state: 'completed', fingerprint: entry.record.fingerprint, result };
    }
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.#entries.delete(key);
    return Promise.resolve();
  }

  #pruneExpired(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#entries.delete(key);
    }
  }
}
