/** The browser arena's snapshot interpolation (pure): positions between snapshots, hold when dry, stale ticks ignored. */
import { describe, expect, it } from 'vitest';
import type { ArenaState } from '../examples/arena/game.js';
import { SnapshotBuffer } from '../examples/arena/web/interpolation.js';

const state = (tick: number, x: number): ArenaState => ({
  tick,
  players: [{ id: 'a', name: 'ana', color: '#ffffff', x, y: 10 }],
});

describe('arena snapshot interpolation', () => {
  it('draws players delay ms behind, blending between the snapshots around that moment', () => {
    const buffer = new SnapshotBuffer({ tickRate: 20, delay: 100 });
    expect(buffer.sample(0)).toEqual([]);
    // Ticks every 50 ms, arriving with jitter (0-20 ms late).
    buffer.push(state(1, 0), 1000);
    buffer.push(state(2, 50), 1070);
    buffer.push(state(3, 100), 1100);
    buffer.push(state(4, 150), 1165);
    // The offset follows the earliest arrivals (local ≈ server time + 950, the late ones nudge it by
    // 0.3 ms): at local 1225 the render time is server ≈ 175, halfway between tick 3 (150 ms, x 100)
    // and tick 4 (200 ms, x 150).
    expect(buffer.sample(1225)[0]?.x).toBeCloseTo(125, 0);
    expect(buffer.sample(1200)[0]?.x).toBeCloseTo(100, 0);
    // Past the newest: hold it, never extrapolate.
    expect(buffer.sample(5000)[0]?.x).toBe(150);
    // Before the oldest: the oldest.
    expect(buffer.sample(900)[0]?.x).toBe(0);
  });

  it('ignores stale and repeated ticks and forgets everything on clear', () => {
    const buffer = new SnapshotBuffer();
    buffer.push(state(5, 10), 0);
    buffer.push(state(4, 999), 10);
    buffer.push(state(5, 999), 10);
    expect(buffer.size).toBe(1);
    buffer.clear();
    expect(buffer.size).toBe(0);
    expect(buffer.sample(100)).toEqual([]);
  });
});
