/**
 * Game feel on the simulator: a server and two clients on a virtual clock at 150 ms RTT and 10 %
 * loss, once with delta snapshots, once with full snapshots, and once with a wall only the server
 * knows about (so client predictions need correcting). Prints prediction error,
 * interpolation smoothness, lag-compensated hit accuracy and bytes per tick.
 *
 *   npx tsx examples/game-feel/main.ts [seconds]
 */
import { type GameFeelFigures, runGameFeel, WORLD } from './world.js';

const seconds = Number(process.argv[2] ?? 20);
const f2 = (n: number) => n.toFixed(2);
const f3 = (n: number) => n.toFixed(3);
const max = (xs: number[]) => Math.max(...xs);

function report(f: GameFeelFigures): void {
  const c = f.clients;
  console.log(
    `\n== ${f.deltas ? 'delta snapshots' : 'full snapshots'} (${f.ticks} ticks, RTT ${f.rtt.toFixed(0)} ms) ==`,
  );
  console.log(`bytes per client per tick: state ${f2(f.bodyBytesPerTick)}, on the wire ${f2(f.wireBytesPerTick)}`);
  console.log(`snapshots sent: ${f.fullSent} full, ${f.deltaSent} delta; resyncs ${f.resyncs}`);
  console.log(
    `decoded ${c.map((x) => x.snapshotsDecoded).join(' / ')}, mismatched ${c.map((x) => x.mismatchedSnapshots).join(' / ')}, ` +
      `missing baseline ${c.map((x) => x.missingBaseline).join(' / ')}, converged ${f.converged.join(' / ')}`,
  );
  console.log(
    `prediction: max error ${f3(max(c.map((x) => x.maxPredictionError)))}, corrections ${c.map((x) => x.corrections).join(' / ')}, ` +
      `final error ${f3(max(c.map((x) => x.finalPredictionError)))}`,
  );
  const ideal = WORLD.speed / WORLD.frameRate;
  console.log(
    `interpolation: max jump per frame ${f3(max(c.map((x) => x.maxInterpolatedJump)))} (ideal ${f3(ideal)}; ` +
      `newest snapshot drawn raw: ${f3(max(c.map((x) => x.maxRawJump)))}), max error ${f3(max(c.map((x) => x.maxInterpolationError)))}, ` +
      `extrapolated ${c.map((x) => ((100 * x.extrapolatedFrames) / Math.max(1, x.frames)).toFixed(1)).join(' / ')} % of frames, ` +
      `view delay ${c.map((x) => x.meanViewDelay.toFixed(0)).join(' / ')} ms`,
  );
  const shots = f.shots;
  if (shots.length > 0) {
    const m = (k: 'missRewound' | 'missClaimed' | 'missPresent') => shots.reduce((s, x) => s + x[k], 0) / shots.length;
    console.log(
      `lag compensation (${shots.length} shots): mean miss distance rewound ${f3(m('missRewound'))}, ` +
        `claimed time ${f3(m('missClaimed'))}, present (no rewind) ${f3(m('missPresent'))}`,
    );
  }
}

const delta = await runGameFeel({ deltas: true, seconds });
const full = await runGameFeel({ deltas: false, seconds });
const wall = await runGameFeel({ deltas: true, seconds, wall: true });
report(delta);
report(full);
const w = wall.clients;
console.log(
  `\n== a wall only the server knows (predictions get corrected) ==\nprediction: max error ${f3(max(w.map((x) => x.maxPredictionError)))}, ` +
    `corrections ${w.map((x) => x.corrections).join(' / ')}, final error ${f3(max(w.map((x) => x.finalPredictionError)))}, converged ${wall.converged.join(' / ')}`,
);
console.log(
  `\ndelta / full: state ${(delta.bodyBytesPerTick / full.bodyBytesPerTick).toFixed(3)}, wire ${(delta.wireBytesPerTick / full.wireBytesPerTick).toFixed(3)}`,
);
