import { type DestinationStream, pino, type Logger } from 'pino';

import type { RequestContextStorage } from './request-context.js';

// Credentials must never reach log storage, whichever object they are nested in.
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'cookie',
  'password',
  '*.password',
  '*.*.password',
];

export interface LoggerOptions {
  readonly level: string;
  readonly requestContext: RequestContextStorage;
  /** Where lines go; stdout unless a test captures them. */
  readonly destination?: DestinationStream | undefined;
}

/** JSON lines on stdout; the platform ships them. Request (and trace) ids come from context. */
export function createLogger({ level, requestContext, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      // pino merges the line's own fields into the returned object, so it must be a new one.
      mixin() {
        const context = requestContext.getStore();
        return context === undefined ? {} : { requestId: context.requestId };
      },
    },
    // Synchronous writes: lines logged just before process.exit() are not lost.
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
