import type { InjectOptions, LightMyRequestResponse } from 'fastify';

import { type App, buildApp, type BuildOptions } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';

/** Configuration as a test environment would set it, with any variable overridden. */
export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    // Tests read readiness right after changing a dependency; the cache has tests of its own.
    READINESS_CACHE_MS: '0',
    ...env,
  });
}

export interface TestApp extends App {
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function buildTestApp(
  env: NodeJS.ProcessEnv = {},
  options: BuildOptions = {},
): Promise<TestApp> {
  const app = await buildApp(testConfig(env), options);
  return {
    ...app,
    inject: (request) => app.server.inject(request),
  };
}
