import { describe, expect, it } from 'vitest';

import { createRequestContextStorage } from '../../src/infra/http/request-context.js';
import { createHttpLogging, createLogger } from '../../src/infra/observability/logger.js';

// Line and paragraph separators, and the bidi controls of "Trojan Source" (CVE-2021-42574).
const DECEPTIVE_CHARACTERS = [
  '\u2028',
  '\u2029',
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
];
const DECEPTIVE = DECEPTIVE_CHARACTERS.join('');

function capture() {
  const lines: string[] = [];
  return {
    lines,
    destination: {
      write: (line: string) => {
        lines.push(line);
      },
    },
  };
}

describe('log lines', () => {
  it('when a logged value holds line separators or bidi controls, then the line carries them escaped', () => {
    const { lines, destination } = capture();
    const logger = createLogger({
      level: 'info',
      requestContext: createRequestContextStorage(),
      destination,
    });

    logger.warn({ customerId: `evil${DECEPTIVE}id` }, `message\u2028{"level":"fatal"}`);

    const [line = ''] = lines;
    expect(DECEPTIVE_CHARACTERS.filter((character) => line.includes(character))).toEqual([]);
    expect(line).toContain('\\u2028');
    expect(line).toContain('\\u202e');
    // Escaped, not removed: the parsed line holds exactly what was logged.
    const parsed = JSON.parse(line) as { customerId: string; msg: string };
    expect(parsed.customerId).toBe(`evil${DECEPTIVE}id`);
    expect(parsed.msg).toBe('message\u2028{"level":"fatal"}');
  });

  it('when an access line is written, then it goes through the same escaping', () => {
    const { lines, destination } = capture();
    const logging = createHttpLogging({
      level: 'info',
      requestContext: createRequestContextStorage(),
      destination,
    });

    logging.writeAccessLine({
      requestId: 'req-1',
      method: 'GET',
      route: `/orders/\u202E:id`,
      statusCode: 200,
      durationMs: 1,
    });

    const [line = ''] = lines;
    expect(line).not.toContain('\u202E');
    expect((JSON.parse(line) as { route: string }).route).toBe('/orders/\u202E:id');
  });
});
