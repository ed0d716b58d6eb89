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
  readonly #checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>();
  #draining = false;

  register(name: string, check: ReadinessCheck, timeoutMs = DEFAULT_CHECK_TIMEOUT_MS): void {
    this.#checks.set(name, { check, timeoutMs });
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
        async ([name, { check, timeoutMs }]) => [name, await runCheck(check, timeoutMs)] as const,
      ),
    );
    const checks = Object.fromEntries(entries);
    const allOk = entries.every(([, result]) => result.status === 'ok');
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
