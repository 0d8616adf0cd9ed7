import { describe, expect, it } from 'vitest';
import { rebaseAckBits } from './ack-bits.js';

/** The sequences an ack of `ack` with `bits` names (its own and its bits'), oldest first. */
function named(ack: number, bits: number): number[] {
  const out: number[] = [];
  for (let i = 31; i >= 0; i--) if ((bits & (1 << i)) !== 0) out.push(ack - 1 - i);
  return [...out, ack];
}

describe('rebaseAckBits', () => {
  it('moves the earlier ack and its bits up by the distance', () => {
    expect(rebaseAckBits(0b1, 2)).toBe(0b110);
    expect(rebaseAckBits(0, 1)).toBe(0b1);
    expect(rebaseAckBits(0xffffffff, 1) >>> 0).toBe(0xffffffff);
  });

  it('names exactly the earlier packets that the newer ack bits can reach', () => {
    // Property: for every distance and a spread of bit patterns, the rebased bits relative to
    // `later` name the packets of the earlier ack that lie within the later ack's 32 bits.
    const patterns = [0, 1, 0x80000000, 0xffffffff, 0x55555555, 0x0000ffff, 0xdeadbeef];
    const earlier = 1000;
    for (let distance = -3; distance <= 36; distance++) {
      for (const bits of patterns) {
        const later = earlier + distance;
        const want = distance < 1 ? [] : named(earlier, bits).filter((s) => s < later && s >= later - 32);
        const got = named(later, rebaseAckBits(bits, distance)).filter((s) => s !== later);
        expect(got, `distance ${distance}, bits ${bits.toString(16)}`).toEqual(want);
      }
    }
  });
});
