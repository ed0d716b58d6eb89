import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';

import { Readiness } from '../../src/infra/readiness.js';

describe('Readiness', () => {
  it('when every check passes, then the service is ready and each check is named', async () => {
    const readiness = new Readiness();
    readiness.register('database', () => Promise.resolve());

    const report = await readiness.evaluate();

    expect(report.status).toBe('ok');
    expect(report.checks['database']?.status).toBe('ok');
  });

  it('when a check fails, then the service is not ready and the error is reported', async () => {
    const readiness = new Readiness();
    readiness.register('database', () => Promise.resolve());
    readiness.register('cache', () => Promise.reject(new Error('connection refused')));

    const report = await readiness.evaluate();

    expect(report.status).toBe('failed');
    expect(report.checks['cache']).toMatchObject({ status: 'failed', error: 'connection refused' });
  });

  it('when a non-critical check fails, then it is reported but the service stays ready', async () => {
    const readiness = new Readiness();
    readiness.register('cache', () => Promise.reject(new Error('connection refused')), 100, {
      critical: false,
    });

    const report = await readiness.evaluate();

    expect(report.status).toBe('ok');
    expect(report.checks['cache']).toMatchObject({ status: 'failed' });
  });

  it('when a check outlives its timeout, then it fails without stalling the probe', async () => {
    const readiness = new Readiness();
    readiness.register('slow', () => new Promise<void>(() => undefined), 20);

    const report = await readiness.evaluate();

    expect(report.checks['slow']).toMatchObject({
      status: 'failed',
      error: 'timed out after 20 ms',
    });
  });

  it('when draining has started, then the service reports draining', async () => {
    const readiness = new Readiness();

    readiness.startDraining();

    expect((await readiness.evaluate()).status).toBe('draining');
  });

  it('when many probes arrive while the checks run, then they share one run', async () => {
    const readiness = new Readiness();
    let runs = 0;
    let finish: () => void = () => undefined;
    readiness.register('database', () => {
      runs += 1;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });

    const probes = Array.from({ length: 100 }, () => readiness.evaluate());
    finish();
    const reports = await Promise.all(probes);

    expect(runs).toBe(1);
    expect(reports.every((report) => report.status === 'ok')).toBe(true);
  });

  it('when a probe comes within the cache time, then it gets the last result without checking again', async () => {
    let now = 0;
    const readiness = new Readiness({ cacheMs: 1_000, now: () => now });
    let runs = 0;
    readiness.register('database', () => {
      runs += 1;
      return Promise.resolve();
    });

    await readiness.evaluate();
    now = 999;
    await readiness.evaluate();
    const runsWithinCache = runs;
    now = 1_000;
    await readiness.evaluate();

    expect(runsWithinCache).toBe(1);
    expect(runs).toBe(2);
  });

  it('when draining starts, then the next probe reports draining although a fresh result is cached', async () => {
    const readiness = new Readiness({ cacheMs: 60_000 });
    readiness.register('database', () => Promise.resolve());
    await readiness.evaluate();

    readiness.startDraining();
    const report = await readiness.evaluate();

    expect(report.status).toBe('draining');
  });

  it('when a check keeps failing and then recovers, then it logs one warning with the error and one recovery', async () => {
    const logger = { info: vi.fn(), warn: vi.fn() };
    const readiness = new Readiness({ logger: logger as unknown as FastifyBaseLogger });
    let failure: Error | undefined = new Error('database "nope_db" does not exist');
    readiness.register('database', () =>
      failure === undefined ? Promise.resolve() : Promise.reject(failure),
    );

    for (let probe = 0; probe < 5; probe += 1) await readiness.evaluate();
    failure = undefined;
    for (let probe = 0; probe < 5; probe += 1) await readiness.evaluate();

    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ check: 'database', error: 'database "nope_db" does not exist' }),
      'readiness check failing',
    );
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(logger.info).toHaveBeenCalledWith(
      { check: 'database' },
      'readiness check passing again',
    );
  });
});
