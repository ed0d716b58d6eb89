import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { Readiness } from '../../src/infra/readiness.js';
import { createShutdown } from '../../src/infra/shutdown.js';

const logger = pino({ level: 'silent' });

describe('createShutdown', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('when shutdown runs, then readiness drains before the server closes and the exit code is 0', async () => {
    const readiness = new Readiness();
    const events: string[] = [];
    const shutdown = createShutdown({
      readiness,
      close: () => {
        events.push(readiness.isDraining ? 'close while draining' : 'close while ready');
        return Promise.resolve();
      },
      logger,
      drainDelayMs: 0,
      timeoutMs: 1_000,
      exit: (code) => events.push(`exit ${String(code)}`),
    });

    await shutdown('SIGTERM');

    expect(events).toEqual(['close while draining', 'exit 0']);
  });

  it('when shutdown starts, then the listener stays open for the drain delay', async () => {
    vi.useFakeTimers();
    const close = vi.fn(() => Promise.resolve());
    const shutdown = createShutdown({
      readiness: new Readiness(),
      close,
      logger,
      drainDelayMs: 1_000,
      timeoutMs: 5_000,
      exit: vi.fn(),
    });

    void shutdown('SIGTERM');
    await vi.advanceTimersByTimeAsync(999);
    expect(close).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);

    expect(close).toHaveBeenCalledTimes(1);
  });

  it('when draining hangs past the deadline, then the process exits with code 1', async () => {
    vi.useFakeTimers();
    const exit = vi.fn();
    const shutdown = createShutdown({
      readiness: new Readiness(),
      close: () => new Promise<void>(() => undefined),
      logger,
      drainDelayMs: 0,
      timeoutMs: 500,
      exit,
    });

    void shutdown('SIGTERM');
    await vi.advanceTimersByTimeAsync(500);

    expect(exit).toHaveBeenCalledWith(1);
  });

  it('when closing fails, then the process exits with code 1', async () => {
    const exit = vi.fn();
    const shutdown = createShutdown({
      readiness: new Readiness(),
      close: () => Promise.reject(new Error('pool did not close')),
      logger,
      drainDelayMs: 0,
      timeoutMs: 1_000,
      exit,
    });

    await shutdown('SIGTERM');

    expect(exit).toHaveBeenCalledWith(1);
  });

  it('when a second signal arrives, then shutdown does not run twice', async () => {
    const close = vi.fn(() => Promise.resolve());
    const shutdown = createShutdown({
      readiness: new Readiness(),
      close,
      logger,
      drainDelayMs: 0,
      timeoutMs: 1_000,
      exit: vi.fn(),
    });

    await Promise.all([shutdown('SIGTERM'), shutdown('SIGINT')]);

    expect(close).toHaveBeenCalledTimes(1);
  });
});
