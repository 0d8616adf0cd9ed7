import { afterEach, describe, expect, it, vi } from 'vitest';

// Count the calls to the CSPRNG (the real one still fills the pool).
const fills = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    randomFillSync: <T extends NodeJS.ArrayBufferView>(buffer: T): T => {
      fills.count++;
      return crypto.randomFillSync(buffer);
    },
  };
});

const { MASK_KEY_POOL_SIZE, nextMaskKey } = await import('./ws-mask-key.js');

describe('masking keys', () => {
  afterEach(() => {
    fills.count = 0;
  });

  it('draws the CSPRNG once per pool of keys, not once per frame', () => {
    const before = fills.count;
    const keys = Array.from({ length: 4 * MASK_KEY_POOL_SIZE }, () => nextMaskKey());
    // The first pool may have been drawn by an earlier call; 4 pools' worth needs at most 4 draws more.
    expect(fills.count - before).toBeGreaterThanOrEqual(3);
    expect(fills.count - before).toBeLessThanOrEqual(4);
    for (const key of keys) expect(Number.isInteger(key) && key >= -(2 ** 31) && key < 2 ** 31).toBe(true);
    // 32-bit random keys: among 1,024, a repeat is a ~1-in-8,000 event; several would mean reuse.
    expect(new Set(keys).size).toBeGreaterThanOrEqual(keys.length - 2);
  });
});
