import type { Services } from '../composition.js';

/** What every API route plugin receives from the composition root. */
export interface RouteOptions {
  readonly services: Services;
}
