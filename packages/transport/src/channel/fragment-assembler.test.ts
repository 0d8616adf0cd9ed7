import { describe, expect, it } from 'vitest';
import { AssembleResult, FragmentAssembler } from './fragment-assembler.js';

const b = (...v: number[]) => new Uint8Array(v);

describe('FragmentAssembler', () => {
  it('joins a chain that counts down to 0', () => {
    const f = new FragmentAssembler(100);
    expect(f.assembling).toBe(false);
    expect(f.push(b(1, 2), 2)).toBe(AssembleResult.Incomplete);
    expect(f.assembling).toBe(true);
    expect(f.push(b(3), 1)).toBe(AssembleResult.Incomplete);
    expect(f.push(b(4, 5), 0)).toBe(AssembleResult.Complete);
    expect([...f.message]).toEqual([1, 2, 3, 4, 5]);
    expect(f.assembling).toBe(false);
    // Ready for the next chain.
    expect(f.push(b(9), 1)).toBe(AssembleResult.Incomplete);
    expect(f.push(b(8), 0)).toBe(AssembleResult.Complete);
    expect([...f.message]).toEqual([9, 8]);
  });

  it('accepts a one-fragment chain and an empty final fragment', () => {
    const f = new FragmentAssembler(100);
    expect(f.push(b(7), 0)).toBe(AssembleResult.Complete);
    expect([...f.message]).toEqual([7]);
    expect(f.push(b(1), 1)).toBe(AssembleResult.Incomplete);
    expect(f.push(b(), 0)).toBe(AssembleResult.Complete);
    expect([...f.message]).toEqual([1]);
  });

  it('rejects a chain that does not count down by one', () => {
    const f = new FragmentAssembler(100);
    f.push(b(1), 3);
    expect(f.push(b(2), 1)).toBe(AssembleResult.Invalid); // skipped 2
    expect(f.error).toBe('fragment chain expected 2 remaining, got 1');
    expect(f.assembling).toBe(false);
    f.push(b(1), 1);
    expect(f.push(b(2), 1)).toBe(AssembleResult.Invalid); // repeated 1
    f.push(b(1), 1);
    expect(f.push(b(2), 5)).toBe(AssembleResult.Invalid); // counted up
  });

  it('rejects an empty non-final fragment (it would let a chain grow without bound)', () => {
    const f = new FragmentAssembler(100);
    expect(f.push(b(), 1)).toBe(AssembleResult.Invalid);
    expect(f.error).toBe('empty non-final fragment');
    f.push(b(1), 2);
    expect(f.push(b(), 1)).toBe(AssembleResult.Invalid);
  });

  it('rejects a chain over the maximum message size, and accepts one exactly at it', () => {
    const f = new FragmentAssembler(10);
    expect(f.push(new Uint8Array(6), 1)).toBe(AssembleResult.Incomplete);
    expect(f.push(new Uint8Array(4), 0)).toBe(AssembleResult.Complete);
    expect(f.message.length).toBe(10);
    expect(f.push(new Uint8Array(6), 1)).toBe(AssembleResult.Incomplete);
    expect(f.push(new Uint8Array(5), 0)).toBe(AssembleResult.Invalid);
    expect(f.error).toBe('reassembled message exceeds 10 bytes');
    // Fails as soon as the size is exceeded, before the chain ends.
    expect(f.push(new Uint8Array(11), 3)).toBe(AssembleResult.Invalid);
  });
});
