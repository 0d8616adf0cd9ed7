/**
 * `npm run chaos`: kill random cluster workers under load and count what every client saw (see
 * `test/chaos/chaos.ts`). `CHAOS_WORKERS` (4), `CHAOS_PAIRS` (20), `CHAOS_KILLS` (10),
 * `CHAOS_EVERY_MS` (3000), `CHAOS_SEED` (1). Exits non-zero if an unaffected client lost,
 * duplicated or reconnected, or an affected one was not told `ROOM_LOST`.
 */
import { runChaos } from '../../test/chaos/chaos.js';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const result = await runChaos({
  workers: env('CHAOS_WORKERS', 4),
  initialPairs: env('CHAOS_PAIRS', 20),
  kills: env('CHAOS_KILLS', 10),
  killEvery: env('CHAOS_EVERY_MS', 3000),
  hz: 20,
  seed: env('CHAOS_SEED', 1),
});
const u = result.unaffected;
const a = result.affected;
console.log(`| | pairs | relays sent | lost | duplicated | reconnects | told ROOM_LOST |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
console.log(`| unaffected | ${u.pairs} | ${u.sent} | ${u.lost} | ${u.duplicated} | ${u.reconnects} | – |`);
console.log(`| affected | ${a.pairs} | – | – | ${a.duplicated} | – | ${a.toldRoomLost} |`);
console.log(
  `\n${result.kills} kills in ${result.seconds.toFixed(1)} s; mean detection ${result.meanDetectionMs.toFixed(0)} ms`,
);
const ok = u.lost === 0 && u.duplicated === 0 && u.reconnects === 0 && a.toldRoomLost === a.pairs && a.duplicated === 0;
process.exit(ok ? 0 : 1);
