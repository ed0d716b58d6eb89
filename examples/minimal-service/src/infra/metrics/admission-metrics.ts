import { Counter, Gauge, type Registry } from 'prom-client';

import type { AdmissionControl } from '../http/admission-control.js';

/**
 * The admission control's figures, read at scrape time: refusals never reach the framework, so
 * `http_request_duration_seconds` does not count them; this counter does.
 */
export function registerAdmissionMetrics(registry: Registry, admission: AdmissionControl): void {
  let reported = 0;
  new Counter({
    name: 'http_admission_refused_total',
    help: 'Requests refused with 503 by admission control because the event loop was behind.',
    registers: [registry],
    collect() {
      this.inc(admission.refused - reported);
      reported = admission.refused;
    },
  });
  new Gauge({
    name: 'http_admission_max_delay_seconds',
    help: 'Event-loop time a turn spends on requests before refusing the rest of them (the limit).',
    registers: [registry],
    collect() {
      this.set(admission.maxDelayMs / 1000);
    },
  });
  new Gauge({
    name: 'http_admission_longest_turn_seconds',
    help: 'Longest event-loop turn since the previous scrape: the wait its last request met.',
    registers: [registry],
    collect() {
      this.set(admission.takeLongestTurnMs() / 1000);
    },
  });
}
