import type { FastifyBaseLogger } from 'fastify';

/** A dependency probe; it must settle promptly once `signal` aborts. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

export type CheckResult =
  | { readonly status: 'ok'; readonly durationMs: number }
  | { readonly status: 'failed'; readonly durationMs: number; readonly error: string };

export interface ReadinessReport {
  readonly status: 'ok' | 'failed' | 'draining';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface ReadinessOptions {
  /**
   * How long a finished evaluation answers every probe (0: each probe after the last one
   * finished runs the checks again). Probes arriving while one runs always share it.
   */
  readonly cacheMs?: number;
  /** Told when a check starts failing (warn, with its error) and when it passes again. */
  readonly logger?: FastifyBaseLogger;
  /** Milliseconds clock; tests pass a fake one. */
  readonly now?: () => number;
}

const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

interface Evaluation {
  readonly allOk: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/**
 * The readiness registry: each infrastructure client registers a check for its dependency,
 * each with its own timeout so one slow dependency cannot stall the probe. However many probes
 * arrive, the dependencies see one evaluation at a time and at most one per `cacheMs`: a flood
 * of probes must not become a flood of queries.
 */
export class Readiness {
  readonly #checks = new Map<
    string,
    { check: ReadinessCheck; timeoutMs: number; critical: boolean }
  >();
  readonly #cacheMs: number;
  readonly #logger: FastifyBaseLogger | undefined;
  readonly #now: () => number;
  #draining = false;
  #latest: { readonly evaluation: Evaluation; readonly settledAt: number } | undefined;
  #running: Promise<Evaluation> | undefined;
  readonly #failing = new Set<string>();

  constructor({ cacheMs = 0, logger, now = () => performance.now() }: ReadinessOptions = {}) {
    this.#cacheMs = cacheMs;
    this.#logger = logger;
    this.#now = now;
  }

  /**
   * A non-critical check (e.g. a cache the service can run without) is reported but does not
   * make the service unready: taking every instance out of rotation would turn a degraded
   * service into an outage.
   */
  register(
    name: string,
    check: ReadinessCheck,
    timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
    { critical = true }: { readonly critical?: boolean } = {},
  ): void {
    this.#checks.set(name, { check, timeoutMs, critical });
  }

  /** From now on the service reports not-ready, so load balancers stop sending it traffic. */
  startDraining(): void {
    this.#draining = true;
  }

  get isDraining(): boolean {
    return this.#draining;
  }

  async evaluate(): Promise<ReadinessReport> {
    // Draining answers at once: the load balancer must see it on its very next probe.
    if (this.#draining)
      return { status: 'draining', checks: this.#latest?.evaluation.checks ?? {} };
    const latest = this.#latest;
    const evaluation =
      latest !== undefined && this.#now() - latest.settledAt < this.#cacheMs
        ? latest.evaluation
        : await (this.#running ??= this.#runChecks().finally(() => {
            this.#running = undefined;
          }));
    // Draining may have started while the checks ran.
    const status = this.isDraining ? 'draining' : evaluation.allOk ? 'ok' : 'failed';
    return { status, checks: evaluation.checks };
  }

  async #runChecks(): Promise<Evaluation> {
    const entries = await Promise.all(
      [...this.#checks].map(
        async ([name, { check, timeoutMs, critical }]) =>
          [name, await runCheck(check, timeoutMs), critical] as const,
      ),
    );
    const checks = Object.fromEntries(entries.map(([name, result]) => [name, result]));
    const allOk = entries.every(([, result, critical]) => result.status === 'ok' || !critical);
    for (const [name, result] of entries) this.#logTransition(name, result);
    const evaluation = { allOk, checks };
    this.#latest = { evaluation, settledAt: this.#now() };
    return evaluation;
  }

  // Once per change, not per probe: a dependency down for an hour logs two lines, not 3,600.
  #logTransition(name: string, result: CheckResult): void {
    if (result.status === 'failed' && !this.#failing.has(name)) {
      this.#failing.add(name);
      this.#logger?.warn(
        { check: name, error: result.error, durationMs: result.durationMs },
        'readiness check failing',
      );
    } else if (result.status === 'ok' && this.#failing.delete(name)) {
      this.#logger?.info({ check: name }, 'readiness check passing again');
    }
  }
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await Promise.race([
      check(signal),
      new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => {
          reject(new Error(`timed out after ${String(timeoutMs)} ms`));
        });
      }),
    ]);
    return { status: 'ok', durationMs: elapsed() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'failed', durationMs: elapsed(), error: message };
  }
}
