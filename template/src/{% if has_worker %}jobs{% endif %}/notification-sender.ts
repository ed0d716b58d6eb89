import type { OrderConfirmationJob } from './order-confirmation.js';

/**
 * The outbound channel for confirmations (e-mail, SMS, push). A real provider client replaces
 * the logging one without touching the processor; it must fail with an error the processor can
 * retry, and accept the idempotency key where the provider supports one.
 */
export interface NotificationSender {
  sendOrderConfirmation(job: OrderConfirmationJob, idempotencyKey: string): Promise<void>;
}
