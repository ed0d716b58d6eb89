import type { ResourceModule } from './resource-module.js';

/**
 * The resources `scaffold add resource` added, registered by buildApp in this order. The file
 * is the project's own: scaffold writes it once and updates never change it, so the lines
 * `add resource` adds here cannot conflict with a template update.
 */
export const resources: readonly ResourceModule[] = [];
