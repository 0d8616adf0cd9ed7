import { describe, expect, it } from 'vitest';
import { LossWindow } from './loss-window.js';

describe('LossWindow', () => {
  it('is 0 before anything is recorded', () => {
    expect(new LossWindow(4).fraction()).toBe(0);
  });

  it('averages over what was recorded while filling', () => {
    const w = new LossWindow(4);
    w.record(true);
    expect(w.fraction()).toBe(1);
    w.record(false);
    w.record(false);
    expect(w.fraction()).toBeCloseTo(1 / 3);
  });

  it('forgets the oldest outcome once full', () => {
    const w = new LossWindow(4);
    for (const lost of [true, true, false, false]) w.record(lost);
    expect(w.fraction()).toBe(0.5);
    w.record(false); // evicts the first loss
    expect(w.fraction()).toBe(0.25);
    w.record(false); // evicts the second loss
    expect(w.fraction()).toBe(0);
    for (let i = 0; i < 4; i++) w.record(true);
    expect(w.fraction()).toBe(1);
    for (let i = 0; i < 1000; i++) w.record(i % 4 === 0);
    expect(w.fraction()).toBe(0.25);
  });

  it('recordAcked(n) is n times record(false), before and after the first loss', () => {
    for (const [before, after] of [
      [0, 3],
      [3, 2],
      [9, 1],
      [1000, 7],
    ] as const) {
      const one = new LossWindow(8);
      const many = new LossWindow(8);
      for (let i = 0; i < before; i++) one.record(false);
      many.recordAcked(before);
      one.record(true);
      many.record(true);
      for (let i = 0; i < after; i++) one.record(false);
      many.recordAcked(after);
      expect(many.fraction()).toBe(one.fraction());
    }
  });
});
