import { describe, expect, it } from 'vitest';

import { InsufficientStorageError } from '../../src/errors/app-errors.js';
import { InMemoryIdempotencyStore } from '../../src/repositories/in-memory-idempotency-store.js';

describe('InMemoryIdempotencyStore', () => {
  it('when a key is claimed twice, then the second claim sees the first one', async () => {
    const store = new InMemoryIdempotencyStore<string>({ ttlMs: 1_000, capacity: 10 });

    await expect(store.claim('key', 'fp')).resolves.toBeUndefined();
    await expect(store.claim('key', 'fp')).resolves.toEqual({
      state: 'in-progress',
      fingerprint: 'fp',
    });
  });

  it('when a claim is completed, then later claims get the stored result', async () => {
    const store = new InMemoryIdempotencyStore<string>({ ttlMs: 1_000, capacity: 10 });
    await store.claim('key', 'fp');

    await store.complete('key', 'result');

    await expect(store.claim('key', 'fp')).resolves.toEqual({
      state: 'completed',
      fingerprint: 'fp',
      result: 'result',
    });
  });

  it('when a claim is released, then the key can be claimed again', async () => {
    const store = new InMemoryIdempotencyStore<string>({ ttlMs: 1_000, capacity: 10 });
    await store.claim('key', 'fp');

    await store.release('key');

    await expect(store.claim('key', 'other')).resolves.toBeUndefined();
  });

  it('when the ttl has passed, then the key is forgotten', async () => {
    let now = 0;
    const store = new InMemoryIdempotencyStore<string>({
      ttlMs: 1_000,
      capacity: 10,
      now: () => now,
    });
    await store.claim('key', 'fp');
    await store.complete('key', 'result');

    now = 1_001;

    await expect(store.claim('key', 'fp')).resolves.toBeUndefined();
  });

  it('when the store is full, then a new key is refused and a known one still answers', async () => {
    const store = new InMemoryIdempotencyStore<string>({ ttlMs: 1_000, capacity: 2 });
    await store.claim('first', 'fp');
    await store.claim('second', 'fp');

    await expect(store.claim('third', 'fp')).rejects.toBeInstanceOf(InsufficientStorageError);
    await expect(store.claim('first', 'fp')).resolves.toMatchObject({ state: 'in-progress' });
    expect(store.size).toBe(2);
  });

  it('when the oldest keys of a full store expire, then new keys are accepted again', async () => {
    let now = 0;
    const store = new InMemoryIdempotencyStore<string>({
      ttlMs: 1_000,
      capacity: 1,
      now: () => now,
    });
    await store.claim('first', 'fp');

    now = 1_001;

    await expect(store.claim('second', 'fp')).resolves.toBeUndefined();
  });
});
