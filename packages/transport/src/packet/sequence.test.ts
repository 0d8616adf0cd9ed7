import { describe, expect, it } from 'vitest';
import { SEQUENCE_SPACE, seqAdd, seqDiff, seqGreaterThan } from './sequence.js';

describe('sequence arithmetic', () => {
  it('adds with wrap-around at 65535 → 0', () => {
    expect(SEQUENCE_SPACE).toBe(65536);
    expect(seqAdd(65535, 1)).toBe(0);
    expect(seqAdd(65530, 10)).toBe(4);
    expect(seqAdd(0, -1)).toBe(65535);
    expect(seqAdd(100, 0)).toBe(100);
  });

  it('measures signed distance across the wrap', () => {
    expect(seqDiff(1, 65535)).toBe(2);
    expect(seqDiff(65535, 1)).toBe(-2);
    expect(seqDiff(0, 65535)).toBe(1);
    expect(seqDiff(65535, 0)).toBe(-1);
    expect(seqDiff(7, 7)).toBe(0);
    expect(seqDiff(1000, 10)).toBe(990);
  });

  it('splits the space at half range: +32767 is newer, +32768 reads as older', () => {
    expect(seqDiff(32767, 0)).toBe(32767);
    expect(seqDiff(32768, 0)).toBe(-32768);
    expect(seqDiff(0, 32768)).toBe(-32768);
    expect(seqDiff(100 + 32767, 100)).toBe(32767);
    expect(seqDiff((100 + 32768) & 0xffff, 100)).toBe(-32768);
    // Same boundary after the wrap.
    expect(seqDiff((65000 + 32767) & 0xffff, 65000)).toBe(32767);
    expect(seqDiff((65000 + 32768) & 0xffff, 65000)).toBe(-32768);
  });

  it('orders sequences strictly, wrap-aware', () => {
    expect(seqGreaterThan(0, 65535)).toBe(true);
    expect(seqGreaterThan(65535, 0)).toBe(false);
    expect(seqGreaterThan(5, 5)).toBe(false);
    expect(seqGreaterThan(32767, 0)).toBe(true);
    expect(seqGreaterThan(32768, 0)).toBe(false);
    expect(seqGreaterThan(0, 32768)).toBe(false); // exactly half apart: neither is newer
    expect(seqGreaterThan(0, 32769)).toBe(true);
  });

  it('agrees with seqDiff over a sweep of the space', () => {
    for (let b = 0; b < 65536; b += 4099) {
      for (let n = -40000; n <= 40000; n += 997) {
        const a = seqAdd(b, n);
        expect(seqGreaterThan(a, b)).toBe(seqDiff(a, b) > 0);
      }
    }
  });
});
