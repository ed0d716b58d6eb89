import type { Config } from '../config/config.js';
import type { RequestContextStorage } from '../infra/http/request-context.js';
import type { Lifecycle } from '../infra/lifecycle.js';
import type { Metrics } from '../infra/metrics/metrics.js';
import type { Stores } from './stores.js';

/** What every feature module receives from the composition root. */
export interface FeatureContext {
  readonly config: Config;
  /** Where a feature registers its readiness checks and the hooks that close its clients. */
  readonly lifecycle: Lifecycle;
  /** The request being served (its id, and trace context), for what it hands to other processes. */
  readonly requestContext: RequestContextStorage;
  /** The registry a feature adds its own metrics to. */
  readonly metrics: Metrics;
}

/** Clients to use instead of connecting them: the API tests run on in-memory ones. */
export interface Replacements {
  /** Builds the stores instead of `connectStores`. */
  readonly stores?: (context: FeatureContext) => Stores;
}
