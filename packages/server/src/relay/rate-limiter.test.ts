import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT } from '../options.js';
import { RateVerdict, SessionRateLimiter } from './rate-limiter.js';

const limits = { ...DEFAULT_RATE_LIMIT, messagesPerSecond: 100, bytesPerSecond: 1e9, burstSeconds: 1 };

/** How many messages of `size` bytes the limiter admits in a row at `now`. */
function admitted(l: SessionRateLimiter, now: number, size = 10): number {
  let n = 0;
  while (l.admit(size, now) === RateVerdict.Ok) n++;
  return n;
}

describe('SessionRateLimiter', () => {
  it('admits a burst of burstSeconds of the rate, then refills at the rate, never past the burst', () => {
    const l = new SessionRateLimiter(limits, 0);
    expect(admitted(l, 0)).toBe(100);
    expect(admitted(l, 500)).toBe(50);
    expect(admitted(l, 10_000)).toBe(100); // a long silence refills to the burst allowance only
  });

  it('after a resume, also admits what the rate allowed while the client was away, and keeps it until spent', () => {
    const l = new SessionRateLimiter(limits, 0);
    expect(admitted(l, 0)).toBe(100);
    // Last heard from at 1000 ms (the bucket is full again by then), back at 4000 ms: 3 s away.
    l.resumed(1000, 4000);
    expect(l.admit(10, 4000)).toBe(RateVerdict.Ok);
    // A refill does not cut the credit back to the burst allowance.
    expect(admitted(l, 4010)).toBe(100 + 300 - 1);
    expect(l.admit(10, 4010)).toBe(RateVerdict.LimitedQuiet); // spent: dropped (told once already)
    expect(admitted(l, 4510)).toBe(50); // then the rate as before
  });

  it('counts the byte bucket the same way', () => {
    const bytes = new SessionRateLimiter({ ...limits, messagesPerSecond: 1e9, bytesPerSecond: 1000 }, 0);
    expect(admitted(bytes, 0, 100)).toBe(10);
    bytes.resumed(0, 2000);
    expect(admitted(bytes, 2000, 100)).toBe(20); // 2 s away at 1000 B/s; the burst was spent at 0
  });
});
