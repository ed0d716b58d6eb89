import { spawnSync } from 'node:child_process';

import { describe, expect, it } from 'vitest';

const projectRoot = new URL('../..', import.meta.url).pathname;

/** Runs a module in a fresh Node process (TypeScript through tsx); its exit code and stdout. */
function runModule(source: string) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', source],
    { cwd: projectRoot, encoding: 'utf8', timeout: 20_000 },
  );
  return { status: result.status, lines: result.stdout.split('\n').filter(Boolean) };
}

const LOG_THREE_LINES = `
import { createStdoutLogStream } from './src/infra/observability/logger.ts';
const stdout = createStdoutLogStream();
for (const line of [1, 2, 3]) stdout.write(JSON.stringify({ line }) + '\\n');
`;

// Spawns Node with the TypeScript loader: seconds on a busy CI runner.
describe('stdout log stream', { timeout: 30_000 }, () => {
  it('when the process exits right after logging, then every buffered line is written', () => {
    const { status, lines } = runModule(`${LOG_THREE_LINES}process.exit(0);`);

    expect(status).toBe(0);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { line: 1 },
      { line: 2 },
      { line: 3 },
    ]);
  });

  it('when the process crashes after logging, then the buffered lines are still written', () => {
    const { status, lines } = runModule(`${LOG_THREE_LINES}throw new Error('crash');`);

    expect(status).toBe(1);
    expect(lines).toHaveLength(3);
  });
});
