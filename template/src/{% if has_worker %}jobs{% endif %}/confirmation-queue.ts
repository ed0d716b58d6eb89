import type { BackoffPolicy } from './backoff.js';
import type { OrderConfirmationMessage } from './order-confirmation.js';

/** Broker-neutral settings of the confirmation queue; each broker adapter maps them. */
export interface ConfirmationQueueSettings {
  readonly queueName: string;
  /** Deliveries per job, the first one included; after the last one the job is dead-lettered. */
  readonly attempts: number;
  readonly backoff: BackoffPolicy;
}

/** Hands confirmation messages to the broker (API side, or the outbox relay). */
export interface ConfirmationPublisher {
  publish(message: OrderConfirmationMessage): Promise<void>;
}

/** One delivery of a job to the worker. */
export interface Delivery {
  readonly jobId: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
  readonly maxAttempts: number;
}

/** Processes one message; a rejection means "retry later" until the attempts run out. */
export type JobHandler = (message: OrderConfirmationMessage, delivery: Delivery) => Promise<void>;

/** Queue depth as the broker reports it, for the worker's metrics. */
export interface QueueStats {
  readonly waiting: number;
  readonly active: number;
  readonly oldestWaitingAgeSeconds: number;
  readonly deadLettered: number;
}

/** A running consumer: stops taking jobs and waits for the active ones on `close()`. */
export interface ConfirmationConsumer {
  /** Readiness probe of the broker connection. */
  check(signal: AbortSignal): Promise<void>;
  stats(): Promise<QueueStats>;
  close(): Promise<void>;
}

/** Called when a job has used its last attempt and moved to the dead-letter destination. */
export type DeadLetterListener = (
  message: OrderConfirmationMessage,
  delivery: Delivery,
  error: Error,
) => void;
