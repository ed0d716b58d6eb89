// `npm run token`: prints a development bearer token for the service's own configuration.
import { ConfigError, loadConfig } from '../src/config/config.js';
import { DevTokenRefused, mintDevelopmentToken } from './dev-token.js';

try {
  const token = await mintDevelopmentToken(loadConfig(), { note: console.error });
  console.log(token);
} catch (error) {
  if (!(error instanceof DevTokenRefused || error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
