import { type EntityId, type EntityState, InvalidOptionError } from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { lerpFields, SnapshotInterpolator } from './snapshot-interpolation.js';

type E = EntityState<'x' | 'a' | 'tag'>;
const lerp = lerpFields<'x' | 'a' | 'tag'>(['x'], ['a']);
const snap = (x: number, tag = 't') => new Map<EntityId, E>([[1, { x, a: 0, tag }]]);

describe('SnapshotInterpolator', () => {
  it('renders between snapshots a delay behind the arrival timeline, smoothly', () => {
    const interp = new SnapshotInterpolator(lerp, { delay: 100 });
    // Snapshots every 50 ms of an entity moving 1 unit per ms·10⁻²; arrival 40 ms after capture.
    let maxJump = 0;
    let last: number | undefined;
    for (let now = 0; now < 3000; now += 16) {
      for (let t = Math.max(0, now - 56); t <= now - 40; t++) if (t % 50 === 0) interp.push(t, snap(t / 100), now, 80);
      const e = interp.sample(now).get(1);
      if (e === undefined) continue;
      if (last !== undefined) maxJump = Math.max(maxJump, Math.abs((e.x as number) - last));
      last = e.x as number;
      if (now > 1000) {
        // Rendering ~100 ms behind the arrival timeline (server time − 40): x = (now − 140) / 100.
        expect(e.x as number).toBeCloseTo((now - 140) / 100, 0);
      }
    }
    expect(maxJump).toBeLessThan(0.2); // 16 ms of motion is 0.16
    expect(interp.stats.interpolated).toBeGreaterThan(100);
    expect(interp.delay).toBe(100);
  });

  it('estimates server time as T + RTT/2 and reports the view delay', () => {
    const interp = new SnapshotInterpolator(lerp, { delay: 100 });
    interp.push(1000, snap(0), 5000, 200);
    expect(interp.serverTime(5000)).toBe(1100);
    expect(interp.serverTime(5010)).toBe(1110);
    expect(interp.renderTime(5000)).toBe(900);
    expect(interp.viewDelay(5000)).toBe(200);
  });

  it('extrapolates past the newest snapshot for at most maxExtrapolation, then holds', () => {
    const interp = new SnapshotInterpolator(lerp, { delay: 0, delayIntervals: 0, maxExtrapolation: 50 });
    interp.push(0, snap(0), 0, 0);
    interp.push(100, snap(1), 100, 0);
    expect(interp.sample(130).get(1)?.x).toBeCloseTo(1.3);
    expect(interp.sample(300).get(1)?.x).toBeCloseTo(1.5);
    expect(interp.stats.extrapolated).toBe(1);
    expect(interp.stats.held).toBe(1);
  });

  it('delay grows to delayIntervals × the snapshot interval; out-of-order snapshots are placed in time', () => {
    const interp = new SnapshotInterpolator(lerp, { delay: 50, delayIntervals: 2 });
    interp.push(0, snap(0), 0, 0);
    interp.push(100, snap(1), 100, 0);
    expect(interp.delay).toBe(200);
    interp.push(50, snap(0.5, 'mid'), 101, 0);
    interp.push(50, snap(0.5), 102, 0);
    expect(interp.size).toBe(3);
    expect(interp.stats.ignored).toBe(1);
  });

  it('never renders time backwards when the clock estimate drops, and slews small corrections', () => {
    const interp = new SnapshotInterpolator(lerp, { delay: 100, delayIntervals: 0, clockSmoothing: 1 });
    interp.push(1000, snap(0), 1000, 0);
    const r0 = interp.renderTime(1000);
    interp.push(1050, snap(1), 1100, 0); // arrived 50 ms late: offset drops by 50
    const r1 = interp.renderTime(1100);
    expect(r1).toBeGreaterThan(r0);
    expect(r1 - r0).toBeCloseTo(100 - 5, 5); // slewed at 0.05 ms per ms
    interp.push(2000, snap(2), 1200, 0); // offset +850 > reset threshold: jump
    interp.renderTime(1200);
    expect(interp.stats.clockResets).toBe(1);
  });

  it('passes an entity unchanged between two snapshots (the same object) through without blending', () => {
    let calls = 0;
    const counting = (a: E, b: E, t: number) => {
      calls++;
      return lerp(a, b, t);
    };
    const interp = new SnapshotInterpolator(counting, { delay: 0, delayIntervals: 0 });
    const still: E = { x: 7, a: 0, tag: 's' };
    interp.push(
      0,
      new Map<EntityId, E>([
        [1, { x: 0, a: 0, tag: 't' }],
        [2, still],
      ]),
      0,
      0,
    );
    interp.push(
      50,
      new Map<EntityId, E>([
        [1, { x: 5, a: 0, tag: 't' }],
        [2, still],
      ]),
      50,
      0,
    );
    const out = interp.sample(25); // between the two
    expect(out.get(1)!.x).toBeCloseTo(2.5, 9);
    expect(out.get(2)).toBe(still);
    expect(calls).toBe(1);
  });

  it('lerpFields blends numbers, angles the short way, steps other fields', () => {
    expect(lerp({ x: 0, a: 3, tag: 'a' }, { x: 10, a: -3, tag: 'b' }, 0.5)).toMatchObject({ x: 5, tag: 'a' });
    const a = lerp({ x: 0, a: 3, tag: 'a' }, { x: 10, a: -3, tag: 'b' }, 0.5).a as number;
    expect(Math.abs(Math.abs(a) - Math.PI)).toBeLessThan(0.01);
    expect(lerp({ x: 0, a: 0, tag: 'a' }, { x: 10, a: 0, tag: 'b' }, 1).tag).toBe('b');
  });

  it('refuses bad options with InvalidOptionError', () => {
    for (const bad of [
      { delay: -1 },
      { maxExtrapolation: Number.NaN },
      { bufferSize: 1 },
      { bufferSize: 2.5 },
      { clockSmoothing: 0 },
      { clockSmoothing: 1.5 },
      { clockSlew: 1 },
    ]) {
      expect(() => new SnapshotInterpolator(lerp, bad)).toThrow(InvalidOptionError);
    }
  });
});
