/**
 * `npm run bench [-- [--quick] [--json[=file]] [name…]]`: run the benchmarks and print tables.
 *
 * - `name…`: run only benchmarks whose name contains one of these (`codec`, `latency`).
 * - `--quick`: a short smoke run (fewer messages, one seed, 10 s of game time).
 * - `--json`: also write machine-readable results to `bench/results.json` (or `--json=path`).
 *
 * Everything runs in memory: the codec benchmark on two connections, the latency benchmark on the
 * simulator and a virtual clock.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { CODEC_CASES, DEFAULT_CODEC_OPTIONS, measureCodec } from './codec.js';
import { DEFAULT_LATENCY_OPTIONS, LOSS_SCENARIOS, measureLatency, PROTOCOLS } from './latency-under-loss.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonArg = args.find((a) => a === '--json' || a.startsWith('--json='));
const jsonPath =
  jsonArg === undefined ? undefined : jsonArg.includes('=') ? jsonArg.split('=')[1]! : 'bench/results.json';
const filters = args.filter((a) => !a.startsWith('--'));
const selected = (name: string) => filters.length === 0 || filters.some((f) => name.includes(f));

/** A Markdown table; the first `left` columns are left-aligned, the others right-aligned. */
function table(headers: string[], rows: (string | number)[][], left = 1): string {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(headers),
    `|${widths.map((w, i) => (i < left ? '-' : '') + '-'.repeat(w + 1) + (i < left ? '' : ':')).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
const k = (n: number) => `${(n / 1000).toFixed(0)} k`;
const M = (n: number) => `${(n / 1e6).toFixed(2)} M`;

const environment = {
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  platform: `${process.platform} ${process.arch}`,
  quick,
  date: new Date().toISOString(),
};
const results: Record<string, unknown> = { environment };
console.log(`Node ${environment.node}, ${environment.cpus} × ${environment.cpu}${quick ? ' (quick)' : ''}\n`);

if (selected('codec')) {
  const o = quick ? { ...DEFAULT_CODEC_OPTIONS, messages: 50_000, runs: 3 } : DEFAULT_CODEC_OPTIONS;
  console.log(`## codec: ${o.messageSize}-byte messages, ${o.messages} per run, median of ${o.runs} runs\n`);
  const rows = [];
  for (const c of CODEC_CASES) rows.push(await measureCodec(c, o));
  console.log(
    table(
      [
        'case',
        'packets encoded/s',
        'packets decoded/s',
        'messages/s',
        'ns/message',
        'ack share',
        'bytes/packet',
        'GCs/M msgs',
      ],
      rows.map((r) => [
        r.case,
        k(r.packetsEncodedPerSec),
        k(r.packetsDecodedPerSec),
        M(r.messagesPerSec),
        fmt(r.nsPerMessage),
        `${fmt(r.ackShare * 100)} %`,
        fmt(r.packetBytes),
        fmt(r.gcPerMillion),
      ]),
    ),
  );
  console.log();
  results.codec = { options: o, results: rows };
}

if (selected('latency')) {
  const o = quick ? { ...DEFAULT_LATENCY_OPTIONS, durationMs: 10_000, seeds: 1 } : DEFAULT_LATENCY_OPTIONS;
  const target = o.oneWay + 3 * (1000 / o.tickHz);
  console.log(
    `## latency under loss: ${o.messageSize}-byte reliable message at ${o.tickHz} Hz for ${o.durationMs / 1000} s, ` +
      `${2 * o.oneWay} ms RTT, seeds 1..${o.seeds} pooled (virtual time, ms)\n`,
  );
  const rows = [];
  for (const s of LOSS_SCENARIOS) for (const p of PROTOCOLS) rows.push(measureLatency(p, s, o));
  console.log(
    table(
      [
        'loss',
        'protocol',
        'delivered',
        'p50',
        'p99',
        'max',
        'wire B / payload B',
        'lost datagrams',
        'resent',
        'timeouts',
      ],
      rows.map((r) => [
        r.scenario,
        r.protocol,
        `${r.delivered}/${r.sent}${r.orderErrors > 0 ? ` (${r.orderErrors} out of order!)` : ''}`,
        fmt(r.p50, 1),
        fmt(r.p99, 1),
        fmt(r.max, 1),
        fmt(r.bytesPerPayloadByte, 2),
        `${fmt(r.measuredLoss * 100, 1)} %`,
        fmt(r.extra.resent ?? Number.NaN),
        fmt(r.extra.timeouts ?? Number.NaN),
      ]),
      2,
    ),
  );
  const tenPercent = rows.find((r) => r.scenario === '10 %' && r.protocol === 'netplay');
  if (tenPercent) {
    const ok = tenPercent.p99 <= target;
    console.log(
      `\nTarget at 10 % loss: netplay p99 ${fmt(tenPercent.p99, 1)} ms ${ok ? '≤' : '>'} ${fmt(target, 1)} ms ` +
        `(one-way + 3 send intervals): ${ok ? 'met' : 'MISSED'}`,
    );
  }
  console.log();
  results.latency = { options: o, targetMs: target, results: rows };
}

if (jsonPath !== undefined) {
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${jsonPath}`);
}
