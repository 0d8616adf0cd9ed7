/**
 * Game feel end to end: a server room and two real Clients joined through the network simulator at
 * 150 ms RTT and 10 % loss on one virtual clock (examples/game-feel/world.ts): delta snapshots
 * against acked state, snapshot interpolation, prediction with reconciliation, lag compensation.
 * The bounds are the figures measured on seeds 1–5 (docs/game-feel.md) with a margin.
 */
import { describe, expect, it } from 'vitest';
import { type GameFeelFigures, runGameFeel, WORLD } from '../examples/game-feel/world.js';

const max = (
  f: GameFeelFigures,
  k: 'maxPredictionError' | 'finalPredictionError' | 'maxInterpolatedJump' | 'maxRawJump' | 'maxInterpolationError',
) => Math.max(...f.clients.map((c) => c[k]));
const mean = (f: GameFeelFigures, k: 'missRewound' | 'missClaimed' | 'missPresent') =>
  f.shots.reduce((s, x) => s + x[k], 0) / f.shots.length;

describe('game feel at 150 ms RTT and 10 % loss (virtual clock)', () => {
  it('delta snapshots converge under loss and cut the bytes per tick', async () => {
    const delta = await runGameFeel({ deltas: true, seconds: 20, seed: 1 });
    const full = await runGameFeel({ deltas: false, seconds: 20, seed: 1 });
    expect(delta.rtt).toBeGreaterThan(140);
    expect(delta.rtt).toBeLessThan(175);
    // The acked/lost reports drive the baselines: about 10 % of snapshot messages were lost.
    expect(delta.lost / (delta.acked + delta.lost)).toBeGreaterThan(0.05);
    expect(delta.lost / (delta.acked + delta.lost)).toBeLessThan(0.2);
    expect(delta.deltaSent).toBeGreaterThan(delta.fullSent * 20);
    // Every snapshot a client decoded equals what the server captured for that id, and after the
    // world stops each client holds exactly the server's state.
    for (const f of [delta, full]) {
      for (const c of f.clients) {
        expect(c.mismatchedSnapshots).toBe(0);
        expect(c.snapshotsDecoded).toBeGreaterThan(f.ticks * 0.8);
      }
      expect(f.converged).toEqual([true, true]);
    }
    // Measured: state 52.6 vs 536.0 bytes per client per tick (0.098); wire 143 vs 626 (0.228).
    expect(delta.bodyBytesPerTick / full.bodyBytesPerTick).toBeLessThan(0.15);
    expect(delta.wireBytesPerTick / full.wireBytesPerTick).toBeLessThan(0.3);
  });

  it('delta snapshots still converge at 30 % loss', async () => {
    const f = await runGameFeel({ seconds: 10, seed: 7, loss: 0.3 });
    for (const c of f.clients) expect(c.mismatchedSnapshots).toBe(0);
    expect(f.converged).toEqual([true, true]);
    expect(f.deltaSent).toBeGreaterThan(f.fullSent * 10);
  });

  it('predicted positions match the server after reconciliation; interpolation has no jumps; shots are judged as seen', async () => {
    const f = await runGameFeel({ seconds: 20, seed: 2 });
    // Same inputs, same pure step, inputs resent redundantly: every prediction was right.
    expect(max(f, 'maxPredictionError')).toBeLessThan(1e-9);
    expect(max(f, 'finalPredictionError')).toBe(0);
    // Remote entities move 5 units/s: 0.083 per 60 Hz frame. Interpolated, no frame moves more than
    // 0.125 (measured 0.094); drawn from the newest snapshot instead, frames jump by 0.75.
    const ideal = WORLD.speed / WORLD.frameRate;
    expect(max(f, 'maxInterpolatedJump')).toBeLessThan(1.5 * ideal);
    expect(max(f, 'maxRawJump')).toBeGreaterThan(3 * ideal);
    expect(max(f, 'maxInterpolationError')).toBeLessThan(0.05);
    for (const c of f.clients) {
      expect(c.extrapolatedFrames + c.heldFrames).toBeLessThan(c.frames * 0.05);
      // View delay = RTT/2 + interpolation delay (max(100 ms, 2 snapshot intervals)).
      expect(c.meanViewDelay).toBeGreaterThan(170);
      expect(c.meanViewDelay).toBeLessThan(210);
    }
    // Lag compensation: the target drawn by the shooter is where the server's rewound history puts
    // it; the present position is ~1.2 units away (5 units/s × RTT + delay).
    expect(f.shots.length).toBeGreaterThan(30);
    expect(mean(f, 'missRewound')).toBeLessThan(0.1);
    expect(mean(f, 'missClaimed')).toBeLessThan(0.02);
    expect(mean(f, 'missPresent')).toBeGreaterThan(0.8);
  });

  it('corrects predictions the server disagrees with (a wall only it knows) and ends on its state', async () => {
    const f = await runGameFeel({ seconds: 20, seed: 3, wall: true });
    for (const c of f.clients) expect(c.corrections).toBeGreaterThan(5);
    expect(max(f, 'maxPredictionError')).toBeGreaterThan(0.1);
    expect(max(f, 'finalPredictionError')).toBe(0);
    expect(f.converged).toEqual([true, true]);
  });
});
