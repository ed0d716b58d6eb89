import { buildApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { createStdoutLogStream } from './infra/observability/logger.js';
import { createShutdown, handleProcessEvents } from './infra/shutdown.js';

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Operators need the list of problems, not a stack trace.
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

const config = loadConfigOrExit();
const { server, readiness } = await buildApp(config, { logStream: createStdoutLogStream() });

const shutdown = createShutdown({
  readiness,
  close: () => server.close(),
  logger: server.log,
  ...config.shutdown,
  exit: (code) => process.exit(code),
});
handleProcessEvents(shutdown, server.log);

await server.listen({ host: config.http.host, port: config.http.port });
