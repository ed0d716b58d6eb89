import type { Services } from '../composition.js';

/** What every API route plugin receives: the services. */
export interface RouteOptions {
  readonly services: Services;
}
