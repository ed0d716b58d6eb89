import { hostname } from 'node:os';

import { type DestinationStream, type Logger, pino } from 'pino';

import type { RequestContextStorage } from '../http/request-context.js';

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

// One write(2) per line costs more than formatting the line, so production writes stdout in
// batches of a few kilobytes, each waiting at most FLUSH_INTERVAL_MS.
const BATCH_BYTES = 4096;
const FLUSH_INTERVAL_MS = 100;

/**
 * stdout for a process's log lines, written synchronously in batches. Whatever is still
 * buffered is written when the process exits, however it exits; call it once per process.
 */
export function createStdoutLogStream(): DestinationStream {
  // Batches of Buffers: a batch kept as one string has its byte length measured again on
  // every line, which costs more than the write(2) calls that batching saves.
  const stdout = pino.destination({
    dest: 1,
    sync: true,
    contentMode: 'buffer',
    minLength: BATCH_BYTES,
    periodicFlush: FLUSH_INTERVAL_MS,
  });
  // sonic-boom's types list strings only; in buffer mode it takes Buffers.
  const writeBuffer = stdout.write.bind(stdout) as unknown as (line: Buffer) => boolean;
  process.once('exit', () => {
    stdout.flushSync();
  });
  return {
    write(line: string) {
      writeBuffer(Buffer.from(line));
    },
  };
}

/**
 * pino's ISO time, with the date and time of day formatted once per second instead of for
 * every line: `Date#toISOString` costs about as much as the rest of a line.
 */
function isoTimestamp(): () => string {
  let second = Number.NaN;
  let prefix = '';
  return () => {
    const now = Date.now();
    const currentSecond = Math.floor(now / 1000);
    if (currentSecond !== second) {
      second = currentSecond;
      // "2026-12-01T18:34:37"
      prefix = new Date(now).toISOString().slice(0, 19);
    }
    return `,"time":"${prefix}.${String(now % 1000).padStart(3, '0')}Z"`;
  };
}

// Line and paragraph separators end a line in some log viewers, and bidi controls reorder what
// a reader sees (Trojan Source); JSON.stringify keeps both as they are. In a JSON line they can
// only stand inside strings, where the escape means the same character.
const DECEPTIVE_CHARACTER = /[\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const DECEPTIVE_CHARACTERS = new RegExp(DECEPTIVE_CHARACTER.source, 'gu');

function escapeDeceptive(line: string): string {
  if (!DECEPTIVE_CHARACTER.test(line)) return line;
  return line.replace(
    DECEPTIVE_CHARACTERS,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A destination that receives every line with its separators and bidi controls escaped. */
function escapingDestination(destination: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      destination.write(escapeDeceptive(line));
    },
  };
}

export interface LoggerOptions {
  readonly level: string;
  readonly requestContext: RequestContextStorage;
  /** Where lines go: the process's stdout stream in production; a test may capture them. */
  readonly destination?: DestinationStream | undefined;
}

// The fields every line starts with, after its level and time.
function processFields(): { pid: number; hostname: string } {
  return { pid: process.pid, hostname: hostname() };
}

/** JSON lines on stdout; the platform ships them. Request (and trace) ids come from context. */
export function createLogger(options: LoggerOptions): Logger {
  // Unbatched when nobody passed a stream: every line is out before the call returns.
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  return pinoLogger(options, escapingDestination(destination));
}

function pinoLogger(
  { level, requestContext }: LoggerOptions,
  destination: DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: processFields(),
      timestamp: isoTimestamp(),
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      // pino merges the line's own fields into the returned object, so it must be a new one.
      mixin() {
        const context = requestContext.getStore();
        return context === undefined ? {} : { requestId: context.requestId };
      },
    },
    destination,
  );
}

/** What the access line of one completed request records. */
export interface AccessLine {
  readonly requestId: string;
  readonly method: string;
  /** The route template (`/orders/:id`), never the raw URL. */
  readonly route: string;
  readonly statusCode: number;
  readonly durationMs: number;
}

export interface HttpLogging {
  readonly logger: Logger;
  /** Writes a completed request's line at info, as the logger would, to the same destination. */
  readonly writeAccessLine: (line: AccessLine) => void;
}

/**
 * The HTTP server's logger, and a writer for its one line per request. Access lines hold a few
 * known scalar fields, so they are written as a template string: pino's generic merge and
 * serialization of the same line cost about a twelfth of a request's CPU instructions.
 */
export function createHttpLogging(options: LoggerOptions): HttpLogging {
  const destination = escapingDestination(
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  const logger = pinoLogger(options, destination);
  const timestamp = isoTimestamp();
  // `,"pid":…,"hostname":"…"`: the same fields, in the same order, as the logger's own lines.
  const processJson = `,${JSON.stringify(processFields()).slice(1, -1)}`;
  return {
    logger,
    writeAccessLine(line) {
      if (!logger.isLevelEnabled('info')) return;
      // Strings go through JSON.stringify, so a route or id can never break the line's JSON.
      destination.write(
        `{"level":"info"${timestamp()}${processJson},"requestId":${JSON.stringify(line.requestId)}` +
          `,"method":${JSON.stringify(line.method)},"route":${JSON.stringify(line.route)}` +
          `,"statusCode":${String(line.statusCode)},"durationMs":${String(line.durationMs)}` +
          `,"msg":"request completed"}\n`,
      );
    },
  };
}
