import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config/config.js';

// Every variable has a default: the service starts with an empty environment.
const requiredEnv = {};

describe('loadConfig', () => {
  it('when only required variables are set, then defaults apply', () => {
    const config = loadConfig(requiredEnv);

    expect(config.env).toBe('production');
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: 3000,
      bodyLimitBytes: 1_048_576,
      bodyBufferLimitBytes: 33_554_432,
      jsonMaxDepth: 64,
      requestTimeoutMs: 30_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 65_000,
      corsOrigins: [],
      trustProxy: false,
      maxEventLoopDelayMs: 20,
      publicBaseUrl: '/',
    });
    expect(config.shutdown).toEqual({ drainDelayMs: 1_000, timeoutMs: 10_000 });
    expect(config.memoryStores).toEqual({
      orders: 5_000,
      idempotencyKeys: 10_000,
      resources: 5_000,
    });
  });

  it('when the headers timeout is longer than the request timeout, then the request timeout bounds both', () => {
    const config = loadConfig({
      ...requiredEnv,
      REQUEST_TIMEOUT_MS: '5000',
      HEADERS_TIMEOUT_MS: '20000',
    });

    expect(config.http).toMatchObject({ requestTimeoutMs: 5_000, headersTimeoutMs: 5_000 });
  });

  it('when a variable is empty, then it counts as unset', () => {
    const config = loadConfig({ ...requiredEnv, PORT: '', CORS_ORIGINS: '' });

    expect(config.http.port).toBe(3000);
    expect(config.http.corsOrigins).toEqual([]);
  });

  it('when CORS_ORIGINS lists origins, then each becomes an allowed origin', () => {
    const config = loadConfig({
      ...requiredEnv,
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });

    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('when TRUST_PROXY is a number, then that many proxy hops are trusted', () => {
    const config = loadConfig({ ...requiredEnv, TRUST_PROXY: '2' });

    expect(config.http.trustProxy).toBe(2);
  });

  it('when TRUST_PROXY lists addresses and networks, then exactly those proxies are trusted', () => {
    const config = loadConfig({ ...requiredEnv, TRUST_PROXY: '10.0.0.0/8, 192.168.1.7, fd00::/8' });

    expect(config.http.trustProxy).toBe('10.0.0.0/8,192.168.1.7,fd00::/8');
  });

  it('when TRUST_PROXY names something other than a proxy, then each bad entry is reported', () => {
    const error = captureError(() =>
      loadConfig({ ...requiredEnv, TRUST_PROXY: '10.0.0.0/33,ingress,10.1.2.3' }),
    );

    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain("'10.0.0.0/33'");
    expect(problems.join('\n')).toContain("'ingress'");
  });

  it('when several variables are invalid, then every problem is reported at once', () => {
    const invalid = {
      ...requiredEnv,
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      SHUTDOWN_TIMEOUT_MS: '-1',
    };

    const error = captureError(() => loadConfig(invalid));

    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT');
    expect(problems).toContain('LOG_LEVEL');
    expect(problems).toContain('SHUTDOWN_TIMEOUT_MS');
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
