/**
 * The error taxonomy. Services throw these; only the HTTP error handler turns them into
 * responses, so business code never chooses status codes or knows it is behind HTTP.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'not-found'
  | 'conflict'
  | 'business-rule'
  | 'rate-limited'
  | 'transient'
  | 'insufficient-storage';

/**
 * An expected, operational outcome (bad input, missing record, overload). Anything thrown that
 * is not an `AppError` is treated as a bug: logged in full, answered with an opaque 500.
 */
export abstract class AppError extends Error {
  abstract readonly kind: ErrorKind;
}

/** The request is malformed in a way the schema could not express (e.g. an undecodable cursor). */
export class ValidationError extends AppError {
  readonly kind = 'validation';
}

export class UnauthorizedError extends AppError {
  readonly kind = 'unauthorized';
}

export class NotFoundError extends AppError {
  readonly kind = 'not-found';
}

/** The request collides with work in progress; retrying later may succeed. */
export class ConflictError extends AppError {
  readonly kind = 'conflict';
}

/** The request is well-formed but breaks a business rule; retrying it unchanged never succeeds. */
export class BusinessRuleError extends AppError {
  readonly kind = 'business-rule';
}

export class RateLimitedError extends AppError {
  readonly kind = 'rate-limited';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A dependency is unavailable or overloaded; the same request may succeed after `retryAfterSeconds`. */
export class TransientError extends AppError {
  readonly kind = 'transient';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A bounded in-process store is full; it refuses new entries instead of growing without end. */
export class InsufficientStorageError extends AppError {
  readonly kind = 'insufficient-storage';
}
