import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { buildTestApp, type TestApp } from '../helpers/test-app.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function parse(raw: string): RawAnswer {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/** Opens a connection to the app, for requests `inject` cannot express. */
async function open(app: TestApp): Promise<Socket> {
  const address = app.server.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  const socket = connect(address.port, address.address);
  await once(socket, 'connect');
  return socket;
}

/** Everything the server sends until it closes the connection. */
async function untilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  await once(socket, 'close');
  return received;
}

async function exchange(app: TestApp, request: string): Promise<RawAnswer> {
  const socket = await open(app);
  const answered = untilClosed(socket);
  socket.write(request);
  return parse(await answered);
}

function expectProblem(answer: RawAnswer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(answer.body) as { status: number; requestId: string };
  expect(problem.status).toBe(status);
  expect(problem.requestId).toBe(answer.headers['x-request-id']);
}

describe('connections and HTTP framing', () => {
  let app: TestApp | undefined;

  afterEach(async () => {
    await app?.server.close();
  });

  async function listening(env: NodeJS.ProcessEnv = {}): Promise<TestApp> {
    app = await buildTestApp(env);
    await app.server.listen({ host: '127.0.0.1', port: 0 });
    return app;
  }

  it('when a request has two Host headers, then it is a 400 problem', async () => {
    const answer = await exchange(
      await listening(),
      'GET /health/live HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n',
    );

    expectProblem(answer, 400);
    expect(answer.body).toContain('more than one Host header');
  });

  it('when the headers are larger than the parser allows, then it is a 431 problem', async () => {
    const answer = await exchange(
      await listening(),
      `GET /health/live HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );

    expectProblem(answer, 431);
  });

  it('when the request line is not HTTP, then it is a 400 problem', async () => {
    const answer = await exchange(await listening(), 'GET / HTTP/1.1 junk\r\n\r\n');

    expectProblem(answer, 400);
  });

  it('when a body stalls past REQUEST_TIMEOUT_MS, then it is a 408 problem and the connection closes', async () => {
    const listener = await listening({ REQUEST_TIMEOUT_MS: '300' });
    const authorization = '';
    const started = Date.now();
    const answer = await exchange(
      listener,
      `POST /orders HTTP/1.1\r\nHost: a\r\n${authorization}Content-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n{"customerId":',
    );

    expectProblem(answer, 408);
    // Node checks deadlines once a second; the stalled request never waits much longer.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('when a kept-alive connection idles past the request and headers timeouts, then it still serves the next request', async () => {
    const socket = await open(
      await listening({ REQUEST_TIMEOUT_MS: '300', HEADERS_TIMEOUT_MS: '200' }),
    );
    const answered = untilClosed(socket);
    const request = 'GET /health/live HTTP/1.1\r\nHost: a\r\n\r\n';

    socket.write(request);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    socket.write(request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    const received = await answered;

    expect(received.match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  });
});
