import { afterEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

const LIMIT = 5;
// The proxy in front of the service, as TRUST_PROXY names it.
const PROXY = '10.0.0.1';

describe('rate-limit identity behind a trusted proxy', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.server.close();
  });

  async function statusesFor(forwardedFor: readonly string[]): Promise<number[]> {
    app = await buildTestApp({ TRUST_PROXY: '10.0.0.0/8', RATE_LIMIT_MAX: String(LIMIT) });
    const statuses: number[] = [];
    for (const address of forwardedFor) {
      const response = await app.inject({
        method: 'GET',
        url: '/orders/00000000-0000-4000-8000-000000000000',
        remoteAddress: PROXY,
        headers: { 'x-forwarded-for': address },
      });
      statuses.push(response.statusCode);
    }
    return statuses;
  }

  it('when one client varies the port in X-Forwarded-For, then it still has one budget', async () => {
    const ports = Array.from(
      { length: 10 },
      (_, index) => `198.51.100.7:${String(40_000 + index)}`,
    );

    const statuses = await statusesFor(ports);

    expect(statuses.filter((status) => status !== 429)).toHaveLength(LIMIT);
  });

  it('when one IPv6 client varies brackets, ports and addresses in its /64, then it still has one budget', async () => {
    const spellings = Array.from({ length: 10 }, (_, index) =>
      index % 2 === 0
        ? `[2001:db8:1:2::${String(index + 1)}]:443`
        : `2001:db8:1:2::${String(index + 1)}`,
    );

    const statuses = await statusesFor(spellings);

    expect(statuses.filter((status) => status !== 429)).toHaveLength(LIMIT);
  });

  it('when X-Forwarded-For carries junk, then the requests count against the proxy address', async () => {
    const junk = Array.from({ length: 10 }, (_, index) => `junk-${String(index)}`);

    const statuses = await statusesFor(junk);

    expect(statuses.filter((status) => status !== 429)).toHaveLength(LIMIT);
  });
});
