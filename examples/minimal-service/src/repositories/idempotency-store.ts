/** How long a key is remembered: clients retry within minutes, a day covers slow retry queues. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** What is known about an idempotency key: still being processed, or done with a stored result. */
export type IdempotencyRecord<Result> =
  | { readonly state: 'in-progress'; readonly fingerprint: string }
  | { readonly state: 'completed'; readonly fingerprint: string; readonly result: Result };

/**
 * Remembers the outcome of unsafe requests by client-chosen key, so a retried request replays
 * the first outcome instead of repeating its side effects.
 */
export interface IdempotencyStore<Result> {
  /**
   * Atomically claims `key` for a request with `fingerprint`. Returns `undefined` when the claim
   * succeeded (the caller must then `complete` or `release` it), or the existing record otherwise.
   */
  claim(key: string, fingerprint: string): Promise<IdempotencyRecord<Result> | undefined>;
  complete(key: string, result: Result): Promise<void>;
  /** Forgets a claim whose request failed, so the client can retry with the same key. */
  release(key: string): Promise<void>;
}
