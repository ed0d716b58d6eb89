import type { Logger } from 'pino';

import type { Readiness } from './readiness.js';

/** Closes what one component opened: a client, a pool, a timer. */
export type CloseHook = () => Promise<void> | void;

/**
 * What the service's components take part in its life through: each registers its readiness
 * checks with `readiness` and the hook that closes what it opened with `onClose`. The HTTP server
 * calls `close()` once it has stopped accepting connections and in-flight requests have finished.
 */
export class Lifecycle {
  readonly readiness: Readiness;
  readonly logger: Logger;
  readonly #hooks: CloseHook[] = [];

  constructor(options: { readonly readiness: Readiness; readonly logger: Logger }) {
    this.readiness = options.readiness;
    this.logger = options.logger;
  }

  onClose(hook: CloseHook): void {
    this.#hooks.push(hook);
  }

  /**
   * Runs the hooks last-registered first, so a component closes before the clients it was built
   * on (the outbox relay publishes its last rows before the broker connection and the database
   * pool close). Every hook runs even when one fails; then the failures are thrown together.
   */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const hook of this.#hooks.splice(0).reverse()) {
      try {
        await hook();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'components failed to close');
  }
}
