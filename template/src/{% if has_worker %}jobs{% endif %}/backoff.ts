export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly baseDelayMs: number;
  /** Upper bound for any single delay, so a long outage does not push retries out for hours. */
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): exponential growth capped at
 * `maxDelayMs`, with "equal jitter" — a random value in [half, full] of the exponential step —
 * so jobs that failed together (a dependency outage) do not retry together, while each retry
 * still waits at least half its step.
 */
export function retryDelayMs(
  attempt: number,
  { baseDelayMs, maxDelayMs }: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2 ** exponent overflows to Infinity for large attempts; the cap keeps it finite.
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** exponent);
  const half = step / 2;
  return Math.round(half + random() * half);
}
