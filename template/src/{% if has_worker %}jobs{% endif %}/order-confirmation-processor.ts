import type { NotificationSender } from './notification-sender.js';
import { confirmationJobId, type OrderConfirmationJob } from './order-confirmation.js';
import type { ProcessedJobs } from './processed-jobs.js';

export type ProcessOutcome = 'sent' | 'already-sent';

/**
 * Sends an order's confirmation exactly once per order as far as this service can tell: a job
 * whose id is already recorded is skipped. A crash between sending and recording means one
 * resend on redelivery (at-least-once); the sender gets the job id as an idempotency key so a
 * provider that supports one can drop that duplicate too.
 */
export class OrderConfirmationProcessor {
  readonly #sender: NotificationSender;
  readonly #processed: ProcessedJobs;

  constructor(deps: { sender: NotificationSender; processed: ProcessedJobs }) {
    this.#sender = deps.sender;
    this.#processed = deps.processed;
  }

  async process(job: OrderConfirmationJob): Promise<ProcessOutcome> {
    const jobId = confirmationJobId(job.orderId);
    if (await this.#processed.has(jobId)) return 'already-sent';
    await this.#sender.sendOrderConfirmation(job, jobId);
    await this.#processed.markProcessed(jobId);
    return 'sent';
  }
}
