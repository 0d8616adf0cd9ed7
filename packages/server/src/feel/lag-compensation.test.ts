import { InvalidOptionError } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { LagCompensator } from './lag-compensation.js';

type P = { x: number };
const lerp = (a: P, b: P, t: number): P => ({ x: a.x + (b.x - a.x) * t });

describe('LagCompensator', () => {
  it('samples an entity between recorded frames, held outside the history', () => {
    const lag = new LagCompensator<P>();
    for (let t = 0; t <= 1000; t += 50) lag.record(t, new Map([[1, { x: t / 10 }]]));
    expect(lag.sample(1, 525, lerp)).toEqual({ x: 52.5 });
    expect(lag.sample(1, 525)).toEqual({ x: 50 }); // without lerp: the earlier frame
    expect(lag.sample(1, 5000, lerp)).toEqual({ x: 100 });
    expect(lag.sample(2, 525, lerp)).toBeUndefined();
    // History is bounded by historyMs (500 by default): the oldest kept frame is at or before 500.
    expect(lag.oldestTime).toBeGreaterThanOrEqual(450);
    expect(lag.oldestTime).toBeLessThanOrEqual(500);
    expect(lag.sample(1, 0, lerp)!.x).toBe(lag.oldestTime / 10);
  });

  it('viewTime rewinds RTT/2 + the view delay, bounded by maxRewind; clampTime bounds claims', () => {
    const lag = new LagCompensator<P>({ maxRewind: 250 });
    expect(lag.viewTime(10_000, 100, 120)).toBe(10_000 - 50 - 120);
    expect(lag.viewTime(10_000, 400, 300)).toBe(10_000 - 250);
    expect(lag.clampTime(10_000, 9_900)).toBe(9_900);
    expect(lag.clampTime(10_000, 0)).toBe(9_750);
    expect(lag.clampTime(10_000, 20_000)).toBe(10_000);
    expect(lag.clampTime(10_000, Number.NaN)).toBe(10_000);
  });

  it('sampleAll returns every entity at a time; an entity that appears later is absent before', () => {
    const lag = new LagCompensator<P>();
    lag.record(0, new Map([[1, { x: 0 }]]));
    lag.record(
      50,
      new Map([
        [1, { x: 10 }],
        [2, { x: 5 }],
      ]),
    );
    expect([...lag.sampleAll(25, lerp)]).toEqual([[1, { x: 5 }]]);
    expect(lag.sampleAll(50, lerp).get(2)).toEqual({ x: 5 });
    lag.clear();
    expect(lag.size).toBe(0);
  });

  it('keeps at most maxFrames and ignores frames going back in time', () => {
    const lag = new LagCompensator<P>({ maxFrames: 4, historyMs: 10_000, maxRewind: 1000 });
    for (let t = 0; t < 10; t++) lag.record(t, new Map([[1, { x: t }]]));
    lag.record(3, new Map([[1, { x: -1 }]]));
    expect(lag.size).toBe(4);
    expect(lag.oldestTime).toBe(6);
    expect(() => new LagCompensator({ maxRewind: 600, historyMs: 500 })).toThrow(InvalidOptionError);
  });
});
