/** A dependency probe; it must settle promptly once `signal` aborts. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

export type CheckResult =
  | { readonly status: 'ok'; readonly durationMs: number }
  | { readonly status: 'failed'; readonly durationMs: number; readonly error: string };

export interface ReadinessReport {
  readonly status: 'ok' | 'failed' | 'draining';
  readonly checks: Readonly<Record<string, CheckResult>>;
}

const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/**
 * The readiness registry: each infrastructure client registers a check for its dependency,
 * each with its own timeout so one slow dependency cannot stall the probe.
 */
export class Readiness {
  readonly #checks = new Map<
    string,
    { check: ReadinessCheck; timeoutMs: number; critical: boolean }
  >();
  #draining = false;

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
    const entries = await Promise.all(
      [...this.#checks].map(
        async ([name, { check, timeoutMs, critical }]) =>
          [name, await runCheck(check, timeoutMs), critical] as const,
      ),
    );
    const checks = Object.fromEntries(entries.map(([name, result]) => [name, result]));
    const allOk = entries.every(([, result, critical]) => result.status === 'ok' || !critical);
    const status = this.#draining ? 'draining' : allOk ? 'ok' : 'failed';
    return { status, checks };
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
