import { describe, expect, it } from 'vitest';

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
});
