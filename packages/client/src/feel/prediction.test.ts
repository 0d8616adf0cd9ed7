import { InvalidOptionError } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { Predictor } from './prediction.js';

type S = { x: number };
type I = { v: number };
const step = (s: S, i: I, dt: number): S => ({ x: s.x + i.v * dt });

describe('Predictor', () => {
  it('applies inputs at once and replays the unacknowledged ones on the server state', () => {
    const p = new Predictor<S, I>({ x: 0 }, step);
    expect(p.applyInput({ v: 1 }, 1)).toBe(1);
    p.applyInput({ v: 2 }, 1);
    p.applyInput({ v: 3 }, 1);
    expect(p.state).toEqual({ x: 6 });
    // The server agrees after input 1: no correction, inputs 2–3 replayed.
    expect(p.reconcile({ x: 1 }, 1)).toBe(false);
    expect(p.state).toEqual({ x: 6 });
    expect(p.unacked.map((u) => u.seq)).toEqual([2, 3]);
    // The server disagrees after input 2 (a wall): corrected, input 3 replayed on top.
    expect(p.reconcile({ x: 2 }, 2)).toBe(true);
    expect(p.state).toEqual({ x: 5 });
    expect(p.stats).toMatchObject({ inputs: 3, reconciliations: 2, corrections: 1, replayed: 3 });
    // Stale or impossible acks are ignored.
    expect(p.reconcile({ x: 100 }, 1)).toBe(false);
    expect(p.reconcile({ x: 100 }, 9)).toBe(false);
    expect(p.state).toEqual({ x: 5 });
  });

  it('smooths a correction: shows the old state, then decays the error', () => {
    const p = new Predictor<S, I>({ x: 0 }, step, {
      smoothing: { blend: (s, before, after, k) => ({ x: s.x + k * (before.x - after.x) }), timeConstant: 100 },
    });
    p.applyInput({ v: 10 }, 1);
    p.reconcile({ x: 0 }, 1, 1000); // the server did not move us
    expect(p.state).toEqual({ x: 0 });
    expect(p.displayed(1000).x).toBeCloseTo(10);
    expect(p.displayed(1100).x).toBeCloseTo(10 * Math.exp(-1));
    expect(p.displayed(2000)).toBe(p.state);
  });

  it('drops the oldest inputs past maxPending, and reset starts over', () => {
    const p = new Predictor<S, I>({ x: 0 }, step, { maxPending: 2 });
    for (let i = 0; i < 4; i++) p.applyInput({ v: 1 }, 1);
    expect(p.unacked.map((u) => u.seq)).toEqual([3, 4]);
    expect(p.stats.overflowed).toBe(2);
    p.reset({ x: 42 });
    expect(p.state).toEqual({ x: 42 });
    expect(p.unacked).toEqual([]);
    expect(p.acked).toBe(4);
  });

  it('refuses bad options with InvalidOptionError', () => {
    for (const maxPending of [0, 1.5]) {
      expect(() => new Predictor<S, I>({ x: 0 }, step, { maxPending })).toThrow(InvalidOptionError);
    }
    const blend = (s: S) => s;
    for (const timeConstant of [0, Number.POSITIVE_INFINITY]) {
      expect(() => new Predictor<S, I>({ x: 0 }, step, { smoothing: { blend, timeConstant } })).toThrow(
        InvalidOptionError,
      );
    }
  });
});
