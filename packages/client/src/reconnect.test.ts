import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_OPTIONS } from './options.js';
import { Backoff, backoffDelay } from './reconnect.js';

const o = (random: () => number, jitter = 0.5) => ({ initialDelay: 100, maxDelay: 1000, jitter, random });

describe('backoffDelay', () => {
  it('doubles from initialDelay and is capped at maxDelay', () => {
    expect(
      [0, 1, 2, 3, 4, 5, 60].map((a) =>
        backoffDelay(
          a,
          o(() => 0, 0),
        ),
      ),
    ).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('randomises the fraction jitter of each delay', () => {
    expect(
      backoffDelay(
        1,
        o(() => 0),
      ),
    ).toBe(100);
    expect(
      backoffDelay(
        1,
        o(() => 0.5),
      ),
    ).toBe(150);
    expect(
      backoffDelay(
        1,
        o(() => 0.999999),
      ),
    ).toBeCloseTo(200);
  });
});

describe('Backoff', () => {
  const options = { ...DEFAULT_CLIENT_OPTIONS.reconnect, initialDelay: 100, maxDelay: 1000, jitter: 0 };

  it('stops after maxAttempts', () => {
    const b = new Backoff({ ...options, maxAttempts: 2 }, 1e9);
    expect([b.next(0), b.next(0), b.next(0)]).toEqual([100, 200, undefined]);
  });

  it('makes a last attempt at the deadline, then gives up', () => {
    const b = new Backoff(options, 250);
    expect(b.next(0)).toBe(100);
    expect(b.next(100)).toBe(150); // 200 would pass the deadline: try at 250
    expect(b.next(250)).toBeUndefined();
  });
});
