import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { AdmissionControl } from '../../src/infra/http/admission-control.js';
import { registerAdmissionMetrics } from '../../src/infra/metrics/admission-metrics.js';

function valueOf(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describe('registerAdmissionMetrics', () => {
  it('when requests were refused, then each scrape reports the total, the limit and the longest turn', async () => {
    let now = 0;
    let endTurn: (() => void) | undefined;
    const admission = new AdmissionControl({
      maxDelayMs: 25,
      now: () => now,
      afterTurn: (callback) => {
        endTurn = callback;
      },
    });
    const registry = new Registry();
    registerAdmissionMetrics(registry, admission);
    admission.admit();
    now += 40;
    endTurn?.();
    admission.refused += 3;

    const first = await registry.metrics();
    admission.refused += 2;
    const second = await registry.metrics();

    expect(valueOf(first, 'http_admission_refused_total')).toBe(3);
    expect(valueOf(second, 'http_admission_refused_total')).toBe(5);
    expect(valueOf(first, 'http_admission_max_delay_seconds')).toBe(0.025);
    expect(valueOf(first, 'http_admission_longest_turn_seconds')).toBe(0.04);
    expect(valueOf(second, 'http_admission_longest_turn_seconds')).toBe(0);
  });
});
