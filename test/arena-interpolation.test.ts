/**
 * The arena page's model without the DOM (`examples/arena/web/view.ts`): what its switches draw.
 * The interpolation itself is the SDK's `SnapshotInterpolator`, tested in
 * packages/client/src/feel/snapshot-interpolation.test.ts (the arena's own `SnapshotBuffer` is gone);
 * here: others interpolated vs the newest snapshot, your player predicted vs the server's position,
 * corrections counted, snapshot bytes measured.
 */
import type { DecodedSnapshot, EntityId, EntityState } from '@netplay/client';
import { describe, expect, it } from 'vitest';
import { type ArenaField, DEFAULT_ARENA_CONFIG } from '../examples/arena/game.js';
import { ArenaView } from '../examples/arena/web/view.js';

type Entity = EntityState<ArenaField>;
const player = (name: string, x: number, y = 100): Entity => ({ x, y, name, color: '#ffffff', score: 0 });

let nextId = 1;
function snapshot(serverTime: number, entities: [string, Entity][], meta: unknown): DecodedSnapshot<ArenaField> {
  return {
    id: nextId++,
    baselineId: nextId > 2 ? nextId - 2 : -1,
    serverTime,
    meta,
    entities: new Map<EntityId, Entity>(entities),
    stale: false,
  };
}

describe('arena page view', () => {
  it('draws others interpolated between snapshots (smooth), or from the newest snapshot (stepped)', () => {
    const smooth = new ArenaView('me', DEFAULT_ARENA_CONFIG);
    const raw = new ArenaView('me', DEFAULT_ARENA_CONFIG);
    raw.interpolate = false;
    // Bob moves 0.1 unit per ms; snapshots every 50 ms arrive 40 ms after capture (RTT 80).
    const jumps = { smooth: 0, raw: 0 };
    const last: { smooth?: number; raw?: number } = {};
    for (let now = 0; now < 3000; now += 16) {
      for (let t = Math.max(0, now - 56); t <= now - 40; t++) {
        if (t % 50 !== 0) continue;
        const s = snapshot(t, [['bob', player('bob', t / 10)]], [0, 400, 300]);
        smooth.onSnapshot(s, now, 80);
        raw.onSnapshot(s, now, 80);
      }
      for (const [key, view] of [
        ['smooth', smooth],
        ['raw', raw],
      ] as const) {
        const bob = view.players(now).find((p) => p.id === 'bob');
        if (bob === undefined) continue;
        if (now > 500 && last[key] !== undefined) jumps[key] = Math.max(jumps[key], Math.abs(bob.x - last[key]));
        last[key] = bob.x;
      }
      if (now > 1000) {
        // Interpolated: ~100 ms behind the arrival timeline (server time − 40).
        expect(smooth.players(now).find((p) => p.id === 'bob')!.x).toBeCloseTo((now - 140) / 10, -1);
      }
    }
    expect(jumps.smooth).toBeLessThan(2); // 16 ms of motion is 1.6
    expect(jumps.raw).toBeGreaterThanOrEqual(5); // a whole snapshot interval at once
    expect(smooth.figures.interpolationDelay).toBe(100);
    expect(smooth.figures.viewDelay).toBeCloseTo(140, -1); // RTT/2 + delay
    expect(raw.figures.interpolationDelay).toBe(0);
  });

  it('draws your player predicted (moves at once) or at the server position; counts corrections', () => {
    const view = new ArenaView('me', DEFAULT_ARENA_CONFIG);
    const serverView = new ArenaView('me', DEFAULT_ARENA_CONFIG);
    serverView.predict = false;
    const me = (x: number) => [['me', player('me', x)]] as [string, Entity][];
    for (const v of [view, serverView]) {
      v.onSnapshot(snapshot(0, me(400), [0, 400, 300]), 0, 100);
      expect(v.update(0, { dx: 1, dy: 0 })).toBeUndefined(); // starts the input clock
    }
    // 100 ms of input at 60 Hz: 6 inputs, sent with their sequence numbers.
    const message = view.update(100, { dx: 1, dy: 0 });
    serverView.update(100, { dx: 1, dy: 0 });
    expect(message?.filter((_, i) => i % 3 === 0)).toEqual([1, 2, 3, 4, 5, 6]);
    const step = DEFAULT_ARENA_CONFIG.speed / DEFAULT_ARENA_CONFIG.inputRate;
    expect(view.players(100).find((p) => p.own)!.x).toBeCloseTo(400 + 6 * step);
    expect(serverView.players(100).find((p) => p.own)!.x).toBe(400); // the server has not answered yet

    // The server processed 3 of them: prediction unchanged (no correction); the server view moves.
    view.onSnapshot(snapshot(50, me(400 + 3 * step), [3, 400 + 3 * step, 300]), 150, 100);
    serverView.onSnapshot(snapshot(50, me(400 + 3 * step), [3, 400 + 3 * step, 300]), 150, 100);
    expect(view.figures.corrections).toBe(0);
    expect(view.players(150).find((p) => p.own)!.x).toBeCloseTo(400 + 6 * step);
    expect(serverView.players(150).find((p) => p.own)!.x).toBeCloseTo(400 + 3 * step);
    // The server stopped it short (something the client did not know): a correction.
    view.onSnapshot(snapshot(100, me(400), [6, 400, 300]), 200, 100);
    expect(view.figures.corrections).toBe(1);
    expect(view.players(200).find((p) => p.own)!.x).toBe(400);
  });

  it('measures snapshot bytes over the last second', () => {
    const view = new ArenaView('me', DEFAULT_ARENA_CONFIG);
    view.countBytes([1, -1, 0, null, new Uint8Array(100)], 0);
    view.countBytes([2, 1, 50, null, new Uint8Array(20)], 50);
    view.countBytes('not a snapshot', 60);
    view.players(100);
    expect(view.figures.bytesPerSnapshot).toBe(60);
    view.players(1040);
    expect(view.figures.bytesPerSnapshot).toBe(20);
  });
});
