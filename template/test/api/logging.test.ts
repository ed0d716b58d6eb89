import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/test-app.js';

type LogLine = Record<string, unknown>;

describe('request logging', () => {
  let app: App;
  let lines: LogLine[];

  beforeEach(async () => {
    lines = [];
    const logStream = {
      write: (line: string) => {
        lines.push(JSON.parse(line) as LogLine);
      },
    };
    app = await buildTestApp({ LOG_LEVEL: 'info' }, { logStream });
  });

  afterEach(async () => {
    await app.server.close();
  });

  it('when a request completes, then exactly one access line carries its id, route and status', async () => {
    await app.server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'req-123' },
    });

    const accessLines = lines.filter((line) => line['msg'] === 'request completed');
    expect(accessLines).toHaveLength(1);
    expect(accessLines[0]).toMatchObject({
      level: 'info',
      requestId: 'req-123',
      method: 'GET',
      route: '/health/live',
      statusCode: 200,
    });
    expect(lines.filter((line) => line['requestId'] === 'req-123')).toHaveLength(lines.length);
  });

  it('when a line is logged, then its time is the ISO 8601 instant it was written', () => {
    const before = Date.now();
    app.server.log.info('first');
    app.server.log.info('second');
    const after = Date.now();

    for (const line of lines.slice(-2)) {
      const time = String(line['time']);
      expect(time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(time)).toBeLessThanOrEqual(after);
    }
  });

  it('when secrets are logged, then they are redacted', () => {
    app.server.log.info(
      { headers: { authorization: 'Bearer secret-token' }, user: { password: 'hunter2' } },
      'diagnostics',
    );

    const serialized = JSON.stringify(lines);
    expect(serialized).not.toContain('secret-token');
    expect(serialized).not.toContain('hunter2');
  });
});
