import { describe, expect, it } from 'vitest';

import { createRequestContextStorage } from '../../src/infra/http/request-context.js';
import { type AccessLine, createHttpLogging } from '../../src/infra/observability/logger.js';

function capturedLogging(level: string) {
  const lines: string[] = [];
  const requestContext = createRequestContextStorage();
  const logging = createHttpLogging({
    level,
    requestContext,
    destination: {
      write: (line: string) => {
        lines.push(line);
      },
    },
  });
  return { logging, lines, requestContext };
}

function withoutTime(line: string): Record<string, unknown> {
  const { time, ...fields } = JSON.parse(line) as Record<string, unknown>;
  expect(typeof time).toBe('string');
  return fields;
}

const COMPLETED: AccessLine = {
  requestId: 'req-1',
  method: 'GET',
  route: '/orders/:id',
  statusCode: 200,
  durationMs: 1.25,
};

describe('access lines', () => {
  it('when a request completes, then its line is the one the logger writes for the same fields', () => {
    const { logging, lines, requestContext } = capturedLogging('info');

    // As in a request: the logger adds the id from the request's context.
    requestContext.run({ requestId: COMPLETED.requestId }, () => {
      logging.logger.info(COMPLETED, 'request completed');
      logging.writeAccessLine(COMPLETED);
    });

    expect(lines).toHaveLength(2);
    const [fromLogger, written] = lines.map(withoutTime);
    expect(written).toEqual(fromLogger);
    expect(Object.keys(written ?? {})).toEqual(Object.keys(fromLogger ?? {}));
    expect(lines[1]).toMatch(/\n$/);
  });

  it('when a route holds quotes, backslashes or line separators, then the line is still JSON', () => {
    const { logging, lines } = capturedLogging('info');
    const route = '/a"b\\c\u2028d\n';

    logging.writeAccessLine({ ...COMPLETED, route });

    expect(lines).toHaveLength(1);
    expect(lines[0]?.split('\n')).toHaveLength(2);
    expect(withoutTime(lines[0] ?? '')).toMatchObject({ route });
  });

  it('when the log level is above info, then no access line is written', () => {
    const { logging, lines } = capturedLogging('warn');

    logging.writeAccessLine(COMPLETED);

    expect(lines).toEqual([]);
  });
});
