import { describe, expect, it } from 'vitest';
import { randomId } from './random-id.js';

describe('randomId', () => {
  it('gives url-safe ids of the asked size, all different, across pool refills', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = randomId(9); // 2000 × 9 bytes: the 4 KiB pool is refilled several times
      expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(2000);
    expect(randomId(18)).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(randomId(5000)).toHaveLength(Math.ceil((5000 * 4) / 3));
  });
});
