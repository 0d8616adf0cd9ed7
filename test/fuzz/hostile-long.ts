/**
 * `npm run fuzz` (second half): the hostile-input properties of `test/hostile-input.test.ts` for
 * much longer. `FUZZ_RUNS` cases per property (default 200000, divided by each property's cost);
 * `FUZZ_SEED` fixes the seed (default random, printed). Exits non-zero on the first failure with
 * fast-check's shrunk counterexample.
 */
import fc from 'fast-check';
import {
  Arena,
  encryptedLinkProperty,
  handshakeProperty,
  matchmakingProperty,
  payloadDecoderProperty,
  roomProtocolProperty,
  webSocketClientFramesProperty,
  webSocketFramesProperty,
} from './hostile-properties.js';

const runs = Number(process.env.FUZZ_RUNS ?? 200_000);
const seed =
  process.env.FUZZ_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.FUZZ_SEED);

type Make = () => Promise<fc.IAsyncProperty<never> | fc.IProperty<never>>;
/** [name, property, cost] — a case of cost k counts as k runs (join storms make whole sessions). */
const properties: [string, Make, number][] = [
  ['handshakes on WebSocket and UDP links', async () => handshakeProperty(await new Arena().setup()) as never, 20],
  ['room protocol messages', async () => roomProtocolProperty(await new Arena().setup()) as never, 20],
  ['hostile msgpack payloads', async () => payloadDecoderProperty(await new Arena().setup()) as never, 20],
  ['join storms', async () => matchmakingProperty(await new Arena().setup()) as never, 200],
  ['encrypted UDP link garbage', async () => encryptedLinkProperty() as never, 1],
  ['WebSocket frames on a server link', async () => webSocketFramesProperty() as never, 1],
  ['WebSocket frames on a client link', async () => webSocketClientFramesProperty() as never, 1],
];

console.log(`fuzz (hostile input): ${runs} runs per property (÷ cost), seed ${seed}`);
let failed = false;
for (const [name, make, cost] of properties) {
  const started = performance.now();
  const numRuns = Math.max(1, Math.floor(runs / cost));
  const details = await fc.check(await make(), { numRuns, seed });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (details.failed) {
    failed = true;
    console.error(`✗ ${name} (${seconds} s)\n${fc.defaultReportMessage(details)}`);
  } else {
    console.log(`✓ ${name}: ${numRuns} cases (${seconds} s)`);
  }
}
process.exit(failed ? 1 : 0);
