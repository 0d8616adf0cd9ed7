/**
 * `npm run fuzz`: the properties of `fuzz.test.ts` for much longer, outside the normal test run.
 *
 *   FUZZ_RUNS=1000000 FUZZ_SEED=42 npm run fuzz
 *
 * `FUZZ_RUNS` cases per property (default 200000); `FUZZ_SEED` fixes the seed (default: random,
 * printed so a failure can be replayed). Exits non-zero on the first failure, with fast-check's
 * shrunk counterexample and the seed/path to replay it.
 */
import fc from 'fast-check';
import {
  type Coverage,
  fragmentChainProperty,
  mutationProperty,
  newCoverage,
  randomDatagramsProperty,
  wrapAroundProperty,
} from './fuzz-properties.js';

const runs = Number(process.env.FUZZ_RUNS ?? 200_000);
const seed =
  process.env.FUZZ_SEED === undefined ? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0 : Number(process.env.FUZZ_SEED);
const properties: [string, (c: Coverage) => fc.IPropertyWithHooks<never> | fc.IProperty<never>][] = [
  ['random datagrams', randomDatagramsProperty as never],
  ['mutations of valid datagrams', mutationProperty as never],
  ['sequences across the wrap', wrapAroundProperty as never],
  ['fragment chains against a model', fragmentChainProperty as never],
];

console.log(`fuzz: ${runs} runs per property, seed ${seed}`);
let failed = false;
for (const [name, make] of properties) {
  const coverage = newCoverage();
  const started = performance.now();
  const details = fc.check(make(coverage), { numRuns: runs, seed });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (details.failed) {
    failed = true;
    console.error(`✗ ${name} (${seconds} s)\n${fc.defaultReportMessage(details)}`);
  } else {
    console.log(
      `✓ ${name}: ${coverage.cases} cases, ${coverage.accepted} with accepted forgeries, ` +
        `${coverage.failed} failed by violation, ${coverage.recovered} exchanges checked (${seconds} s)`,
    );
  }
}
process.exit(failed ? 1 : 0);
