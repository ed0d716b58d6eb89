import { describe, expect, it } from 'vitest';

import { BodyBuffer, JsonDepthScanner } from '../../src/infra/http/json-body.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('JsonDepthScanner', () => {
  it('when a text nests exactly to the limit, then it is accepted', () => {
    const scanner = new JsonDepthScanner(3);

    expect(scanner.accept(bytes('{"a":[{"b":1}]}'))).toBe(true);
  });

  it('when a text nests one level past the limit, then it is refused', () => {
    const scanner = new JsonDepthScanner(3);

    expect(scanner.accept(bytes('{"a":[{"b":[1]}]}'))).toBe(false);
  });

  it('when the nesting grows across chunks, then the depth carries over', () => {
    const scanner = new JsonDepthScanner(3);

    expect(scanner.accept(bytes('[['))).toBe(true);
    expect(scanner.accept(bytes('['))).toBe(true);
    expect(scanner.accept(bytes('['))).toBe(false);
  });

  it('when brackets stand inside strings, escaped quotes included, then they do not count', () => {
    const scanner = new JsonDepthScanner(2);

    expect(scanner.accept(bytes('{"a":"[[[[\\"[[[[","b":"{[{[\\\\"'))).toBe(true);
    expect(scanner.accept(bytes(',"c":[]}'))).toBe(true);
  });

  it('when a string spans chunks, then its brackets still do not count', () => {
    const scanner = new JsonDepthScanner(1);

    expect(scanner.accept(bytes('{"a":"[[[\\'))).toBe(true);
    expect(scanner.accept(bytes('"[[["}'))).toBe(true);
  });

  it('when a 1 MB text nests 500,000 deep, then it is refused within 10 ms', () => {
    const depth = 500_000;
    const text = Buffer.from('['.repeat(depth) + ']'.repeat(depth));
    const scanner = new JsonDepthScanner(64);

    const started = performance.now();
    const accepted = scanner.accept(text);
    const elapsedMs = performance.now() - started;

    expect(accepted).toBe(false);
    expect(elapsedMs).toBeLessThan(10);
  });
});

describe('BodyBuffer', () => {
  it('when a reservation would pass the limit, then nothing is taken', () => {
    const buffer = new BodyBuffer(10);

    expect(buffer.tryReserve(6)).toBe(true);
    expect(buffer.tryReserve(5)).toBe(false);
    expect(buffer.usedBytes).toBe(6);
  });

  it('when bytes are released, then they can be reserved again', () => {
    const buffer = new BodyBuffer(10);
    buffer.tryReserve(10);

    buffer.release(10);

    expect(buffer.tryReserve(10)).toBe(true);
  });
});
