import type { FastifyBaseLogger } from 'fastify';

import type { Readiness } from './readiness.js';

export interface ShutdownOptions {
  readonly readiness: Readiness;
  /**
   * Stops accepting connections, waits for in-flight requests, then runs every `onClose` hook:
   * each infrastructure client closes itself there.
   */
  readonly close: () => Promise<void>;
  readonly logger: FastifyBaseLogger;
  /**
   * Time between reporting not-ready and closing the listener. Load balancers need a moment to
   * notice, and connections already queued in the kernel backlog would otherwise be reset.
   */
  readonly drainDelayMs: number;
  /** Hard deadline: if draining hangs this long, the process exits with code 1 anyway. */
  readonly timeoutMs: number;
  readonly exit: (code: number) => void;
}

/**
 * Returns the one shutdown routine for the process; calling it again (a second signal, a crash
 * while draining) does not start a second drain.
 */
export function createShutdown(options: ShutdownOptions) {
  const { readiness, close, logger, drainDelayMs, timeoutMs, exit } = options;
  let started = false;

  return async function shutdown(reason: string, exitCode = 0): Promise<void> {
    if (started) return;
    started = true;
    logger.info({ reason, drainDelayMs }, 'shutting down: reporting not-ready, then draining');
    readiness.startDraining();

    const deadline = setTimeout(() => {
      logger.fatal({ timeoutMs }, 'shutdown deadline exceeded; exiting');
      exit(1);
    }, timeoutMs);
    // The deadline must not be the reason the process stays alive.
    deadline.unref();

    try {
      await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
      await close();
      clearTimeout(deadline);
      logger.info('shutdown complete');
      exit(exitCode);
    } catch (error) {
      clearTimeout(deadline);
      logger.error({ err: error }, 'shutdown failed');
      exit(1);
    }
  };
}

export type Shutdown = ReturnType<typeof createShutdown>;

/** Signals drain gracefully; crashes are logged and also drain, then exit non-zero. */
export function handleProcessEvents(shutdown: Shutdown, logger: FastifyBaseLogger): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal));
  }
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    void shutdown('unhandledRejection', 1);
  });
}
