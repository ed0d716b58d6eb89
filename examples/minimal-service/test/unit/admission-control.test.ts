import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { AdmissionControl, installAdmissionGate } from '../../src/infra/http/admission-control.js';

const MAX_DELAY_MS = 10;

/** A clock the test moves, and the loop's turns ended by hand. */
function loop() {
  let now = 1_000;
  let endTurn: (() => void) | undefined;
  return {
    now: () => now,
    afterTurn: (callback: () => void) => {
      endTurn = callback;
    },
    advance: (ms: number) => {
      now += ms;
    },
    endTurn: () => {
      endTurn?.();
      endTurn = undefined;
    },
  };
}

function admissionOn(turns: ReturnType<typeof loop>, maxDelayMs = MAX_DELAY_MS) {
  return new AdmissionControl({ maxDelayMs, now: turns.now, afterTurn: turns.afterTurn });
}

describe('AdmissionControl', () => {
  it('when a turn has run for less than the delay, then every request read in it is admitted', () => {
    const turns = loop();
    const admission = admissionOn(turns);

    const admitted = Array.from({ length: 9 }, () => {
      const decision = admission.admit();
      turns.advance(1);
      return decision;
    });

    expect(admitted.every(Boolean)).toBe(true);
  });

  it('when a turn has run past the delay, then the rest of its requests are refused and the next turn admits again', () => {
    const turns = loop();
    const admission = admissionOn(turns);

    expect(admission.admit()).toBe(true);
    turns.advance(MAX_DELAY_MS);
    const late = [admission.admit(), admission.admit()];
    turns.endTurn();
    turns.advance(1);
    const nextTurn = admission.admit();

    expect(late).toEqual([false, false]);
    expect(nextTurn).toBe(true);
  });

  it('when a turn goes on for a quarter of the delay past it (libuv polling again), then a new window admits again', () => {
    const turns = loop();
    const admission = admissionOn(turns, 20);

    admission.admit();
    turns.advance(20);
    const refusedAt20 = admission.admit();
    turns.advance(4.9);
    const refusedAt24 = admission.admit();
    turns.advance(0.1);
    const admittedAt25 = admission.admit();
    turns.advance(19);
    const admittedAt44 = admission.admit();
    turns.advance(1);
    const refusedAt45 = admission.admit();

    expect([refusedAt20, refusedAt24, admittedAt25, admittedAt44, refusedAt45]).toEqual([
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it('when turns end, then the longest since the last reading is reported once', () => {
    const turns = loop();
    const admission = admissionOn(turns);
    for (const length of [3, 7, 2]) {
      admission.admit();
      turns.advance(length);
      turns.endTurn();
    }

    expect(admission.takeLongestTurnMs()).toBe(7);
    expect(admission.takeLongestTurnMs()).toBe(0);
  });

  it('when a long turn opened new windows, then its whole length is reported', () => {
    const turns = loop();
    const admission = admissionOn(turns, 20);
    admission.admit();
    turns.advance(30);
    admission.admit();
    turns.advance(30);
    turns.endTurn();

    expect(admission.takeLongestTurnMs()).toBe(60);
  });
});

describe('installAdmissionGate', () => {
  let server: Server | undefined;

  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running === undefined) return;
    // fetch keeps its connections alive; close them so close() does not wait for their timeout.
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  });

  /** A server whose framework stands for Fastify, behind a gate whose turn is already late. */
  async function gatedServer() {
    const turns = loop();
    const admission = admissionOn(turns);
    admission.admit();
    turns.advance(MAX_DELAY_MS);
    const reached: string[] = [];
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      reached.push(request.url ?? '');
      response.end('served');
    });
    installAdmissionGate(server, admission, {
      exemptPaths: ['/health/live', '/metrics'],
      headers: { 'x-content-type-options': 'nosniff' },
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { admission, reached, base: `http://127.0.0.1:${port}` };
  }

  it('when the loop is behind, then a request gets 503 problem+json with Retry-After and never reaches the framework', async () => {
    const { admission, reached, base } = await gatedServer();

    const response = await fetch(`${base}/orders/1`, { headers: { 'x-request-id': 'req-7' } });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-request-id')).toBe('req-7');
    // Framed by its length, not chunked: the cheapest answer for the server and the client.
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(Number(response.headers.get('content-length'))).toBe(JSON.stringify(body).length);
    expect(body).toEqual({
      type: 'urn:problem-type:transient',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The service is at capacity; retry later.',
      requestId: 'req-7',
    });
    expect(reached).toEqual([]);
    expect(admission.refused).toBe(1);
  });

  it('when the loop is behind, then probes and scrapes are still answered, query strings included', async () => {
    const { reached, base } = await gatedServer();

    const statuses = await Promise.all(
      ['/health/live', '/metrics?name[]=x'].map(async (path) => (await fetch(base + path)).status),
    );

    expect(statuses).toEqual([200, 200]);
    expect(reached).toEqual(['/health/live', '/metrics?name[]=x']);
  });

  it('when the server has no single request listener, then installing the gate fails loudly', () => {
    const bare = createServer();
    const admission = new AdmissionControl({ maxDelayMs: MAX_DELAY_MS });

    expect(() => {
      installAdmissionGate(bare, admission, { exemptPaths: [], headers: {} });
    }).toThrow(/one request listener, found 0/);
  });
});
