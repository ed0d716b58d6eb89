/** The job that tells a customer their order was received. */
export const ORDER_CONFIRMATION_JOB = 'send-order-confirmation';

/** What a confirmation job carries: ids only, so a job never holds a stale copy of the order. */
export interface OrderConfirmationJob {
  readonly orderId: string;
  readonly customerId: string;
}

/**
 * Where a job came from: the request id (and trace context) of the HTTP request that caused it,
 * so the worker's log lines and spans join the request's.
 */
export interface JobOrigin {
  readonly requestId?: string | undefined;
  /** W3C trace-context headers (`traceparent`, `tracestate`) when tracing is on. */
  readonly trace?: Readonly<Record<string, string>> | undefined;
}

/** A job as it travels through the broker. */
export interface OrderConfirmationMessage {
  readonly job: OrderConfirmationJob;
  readonly origin: JobOrigin;
}

/**
 * One job per order: the broker drops a second enqueue with the same id, and the processor
 * recognises a redelivery by it. Derived from the order id alone, so a retried request, an
 * outbox relay running twice or a replay all map to the same job.
 */
export function confirmationJobId(orderId: string): string {
  // BullMQ refuses custom ids containing ':' (its key separator); a prefix keeps ids readable.
  return `order-confirmation-${orderId.replaceAll(':', '_')}`;
}
