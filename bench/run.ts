/**
 * `npm run bench [-- [--quick] [--json[=file]] [name…]]`: run the benchmarks and print tables.
 *
 * - `name…`: run only benchmarks whose name contains one of these (`codec`, `latency`, `relay`).
 * - `--quick`: a short smoke run (fewer messages, one seed, 10 s of game time; relay: 10 rooms,
 *   3 s window, 400 idle clients).
 * - `--json`: also write machine-readable results to `bench/results.json` (or `--json=path`).
 * - relay only: `--rooms=R`, `--clients=N`, `--hz=H`, `--seconds=S` (window), `--idle=K` (idle
 *   clients), `--join-warmup=B` (warm-up batches of K joins before the timed one, default 3),
 *   `--bots=1|2`, `--unreliable` (relay on the unreliable channel), `--aligned` (all
 *   clients send in the same turn instead of at random phases), `--rounds=N` (the load phase's
 *   rounds: every server up at once, the load moving between them; default 5), `--cpu-prof=dir`
 *   (V8 CPU profiles of the server processes), `--targets=bare-ws,netplay-ws,netplay-udp` (also
 *   `netplay-cluster`: a `ClusterServer` with 2 workers, CPU and RSS summed over its processes;
 *   `bare-ws-batched`: the bare relay writing each recipient's messages of a turn as one frame, a
 *   reference for what coalescing alone saves; `bare-ws-batched-raw`: the same, each frame written
 *   straight to the socket as Netplay's link writes one, not through `ws`'s sender),
 *   `--server-send-delay=ms` (the Netplay server's `sendDelay` option; default: its default),
 *   `--client-ack-delay=ms` (experiment: the Netplay clients' `connection.ackDelay`, default 5),
 *   `--redundant-sends=N` (experiment: `connection.redundantSends` of the Netplay server and its
 *   clients, default 2; a UDP setting, reliable links send no copies),
 *   `--probe-timeouts=N` (experiment: `connection.probeTimeouts` of the Netplay server and its
 *   clients, default 3; 0 declares packets lost at the first resend timeout; UDP only),
 *   `--compare=<git rev>` (A/B: each Netplay target also as built at that revision, `netplay-ws@<rev>`,
 *   in the same rounds; the bots stay this tree's).
 * - `join-latency`: sequential `create` + `joinById` against one `Server` and through a
 *   `ClusterServer` manager (2 workers), p50/p99 each (`--joins=N`, default 200; quick: 50).
 *
 * The codec benchmark runs on two connections in memory, the latency benchmark on the simulator and
 * a virtual clock; the relay benchmark (`bench/relay/`) on real sockets on 127.0.0.1 with the
 * server and the bots in child processes.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { CODEC_CASES, DEFAULT_CODEC_OPTIONS, measureCodec } from './codec.js';
import { DEFAULT_LATENCY_OPTIONS, LOSS_SCENARIOS, measureLatency, PROTOCOLS } from './latency-under-loss.js';
import { STEAL_WARNING } from './relay/cpu-steal.js';
import {
  DEFAULT_RELAY_OPTIONS,
  measureRelay,
  QUICK_RELAY_OPTIONS,
  RELAY_TARGETS,
  type RelayOptions,
  type RelayResult,
  type RelayTarget,
  relayVerdicts,
} from './relay/harness.js';
import {
  DEFAULT_JOIN_OPTIONS,
  JOIN_TARGETS,
  type JoinLatencyResult,
  measureJoinLatency,
  QUICK_JOIN_OPTIONS,
} from './relay/join-latency.js';
import { isNetplayTransport } from './relay/protocol.js';
import { median, signed } from './stats.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonArg = args.find((a) => a === '--json' || a.startsWith('--json='));
const jsonPath =
  jsonArg === undefined ? undefined : jsonArg.includes('=') ? jsonArg.split('=')[1]! : 'bench/results.json';
const filters = args.filter((a) => !a.startsWith('--'));
/** Value of `--name=value`, if given. */
const option = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const numberOption = (name: string): number | undefined => {
  const v = option(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`--${name} must be a positive number, got ${v}`);
  return n;
};
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

if (selected('relay')) {
  const base = quick ? QUICK_RELAY_OPTIONS : DEFAULT_RELAY_OPTIONS;
  const seconds = numberOption('seconds');
  const o: RelayOptions = {
    ...base,
    rooms: numberOption('rooms') ?? base.rooms,
    clientsPerRoom: numberOption('clients') ?? base.clientsPerRoom,
    hz: numberOption('hz') ?? base.hz,
    durationMs: seconds === undefined ? base.durationMs : seconds * 1000,
    loadRounds: numberOption('rounds') ?? base.loadRounds,
    idleClients: numberOption('idle') ?? base.idleClients,
    joinWarmupBatches: numberOption('join-warmup') ?? base.joinWarmupBatches,
    botProcesses: numberOption('bots') ?? base.botProcesses,
    reliable: !args.includes('--unreliable'),
    aligned: args.includes('--aligned'),
    cpuProfileDir: option('cpu-prof'),
  };
  const serverSendDelay = option('server-send-delay');
  if (serverSendDelay !== undefined) process.env.NETPLAY_BENCH_SERVER_SEND_DELAY = serverSendDelay;
  const clientAckDelay = option('client-ack-delay');
  if (clientAckDelay !== undefined) process.env.NETPLAY_BENCH_CLIENT_ACK_DELAY = clientAckDelay;
  const redundantSends = option('redundant-sends');
  if (redundantSends !== undefined) process.env.NETPLAY_BENCH_REDUNDANT_SENDS = redundantSends;
  const probeTimeouts = option('probe-timeouts');
  if (probeTimeouts !== undefined) process.env.NETPLAY_BENCH_PROBE_TIMEOUTS = probeTimeouts;
  const chosen = (option('targets')?.split(',') ?? RELAY_TARGETS) as RelayTarget[];
  // --compare=<rev>: next to each Netplay server of this tree, the same server as built at <rev>.
  const compare = option('compare');
  const targets =
    compare === undefined
      ? chosen
      : chosen.flatMap((t): RelayTarget[] => (isNetplayTransport(t) ? [t, `${t}@${compare}`] : [t]));
  console.log(
    `## relay: ${o.rooms} rooms × ${o.clientsPerRoom} clients at ${o.hz} Hz${o.aligned ? ' (tick-aligned)' : ' (random phases)'}, ` +
      `${o.reliable ? 'reliable' : 'unreliable'} ` +
      `51-byte msgpack payload, ${o.durationMs / 1000} s window per server in ${o.loadRounds} round(s) ` +
      `(all servers up, the load moving between them; ${o.warmupMs / 1000} s warm-up, then ${o.roundWarmupMs / 1000} s per round), ` +
      `${o.botProcesses} bot process(es); idle phase: ${o.idleClients} clients after ${o.joinWarmupBatches} warm-up batch(es) of as many` +
      `${serverSendDelay === undefined ? '' : `; EXPERIMENT: server send delay ${serverSendDelay} ms`}` +
      `${clientAckDelay === undefined ? '' : `; EXPERIMENT: client ackDelay ${clientAckDelay} ms`}` +
      `${redundantSends === undefined ? '' : `; EXPERIMENT: redundantSends ${redundantSends}`}` +
      `${probeTimeouts === undefined ? '' : `; EXPERIMENT: probeTimeouts ${probeTimeouts}`}` +
      `${compare === undefined ? '' : `; each Netplay server also as built at ${compare} (…@${compare})`}\n`,
  );
  const rows: RelayResult[] = await measureRelay(targets, o);
  const bare = rows.find((r) => r.target === 'bare-ws');
  const ratio = (v: number, b: number | undefined) => (b === undefined ? '—' : `${fmt(v / b, 2)}×`);
  const KiB = (bytes: number) => `${fmt(bytes / 1024, 1)} KiB`;
  console.log(
    table(
      [
        'server',
        'deliveries/s',
        'delivered',
        'p50 ms',
        'p99 ms',
        'max ms',
        'server CPU',
        'bots CPU',
        'CPU µs/delivery',
        'frames out, in /delivery',
        '× bare',
        'heap/session',
        'RSS/session',
        '× bare (heap, RSS)',
        'join',
      ],
      rows.map((r) => [
        r.target,
        fmt(r.deliveriesPerSec),
        `${fmt((100 * r.deliveries) / r.expectedDeliveries, 2)} %${r.errors > 0 ? ` (${r.errors} errors)` : ''}`,
        fmt(r.p50, 2),
        fmt(r.p99, 2),
        fmt(r.max, 1),
        `${fmt(r.serverCpuShare * 100)} %`,
        `${fmt(r.botCpuShare * 100)} %`,
        fmt(r.cpuUsPerDelivery, 2),
        `${fmt(r.framesOutPerDelivery, 2)}, ${fmt(r.framesInPerDelivery, 2)}`,
        ratio(r.cpuUsPerDelivery, bare?.cpuUsPerDelivery),
        KiB(r.heapPerSession),
        KiB(r.rssPerSession),
        `${ratio(r.heapPerSession, bare?.heapPerSession)}, ${ratio(r.rssPerSession, bare?.rssPerSession)}`,
        `${r.idleClients} in ${fmt(r.joinMs)} ms`,
      ]),
    ),
  );
  console.log();
  /** `r`'s CPU per delivery against `base`'s, in all and round by round (the rounds ran interleaved). */
  const perRound = (r: RelayResult, base: RelayResult, digits: number) => {
    const rounds = r.roundCpuUsPerDelivery.map((v, i) => v / base.roundCpuUsPerDelivery[i]!);
    return (
      `CPU per delivery × ${base.target}: ${fmt(r.cpuUsPerDelivery / base.cpuUsPerDelivery, digits)}×; ` +
      `round by round: ${rounds.map((x) => fmt(x, digits)).join(', ')} (median ${fmt(median(rounds), digits)})`
    );
  };
  // Steal: the hypervisor running someone else on this machine's cores. Above a few per cent a
  // runnable process waits for a core, and the latency columns measure the host.
  if (rows.every((r) => Number.isFinite(r.stealShare))) {
    const worst = Math.max(...rows.map((r) => r.stealShare));
    console.log(
      `- CPU steal during the windows: ${rows.map((r) => `${r.target} ${fmt(r.stealShare * 100, 1)} %`).join(', ')}` +
        `${worst >= STEAL_WARNING ? " (a shared host: latency, p99 above all, is the host's as much as the servers')" : ''}`,
    );
  }
  // Where a latency tail comes from: the longest any process of a target waited for its turn.
  console.log(
    `- longest event-loop delay in the windows (server; bots): ${rows
      .map((r) => `${r.target} ${fmt(r.serverLoopDelayMax, 1)}; ${fmt(r.botLoopDelayMax, 1)} ms`)
      .join(', ')}`,
  );
  // What the servers' loss detection did (UDP; a reliable link detects no loss): on a busy host a
  // client that stalls past the resend timeout makes it fire although nothing was lost.
  const counted = rows.filter((r) => r.loss !== undefined && r.loss.timeouts + r.loss.packetsLost > 0);
  if (counted.length > 0) {
    console.log(
      `- server loss detection in the windows: ${counted
        .map((r) => {
          const l = r.loss!;
          return `${r.target} ${l.timeouts} timeouts, ${l.packetsLost} packets declared lost (${l.spuriousLosses} acked later), ${l.messagesResent} records sent again`;
        })
        .join('; ')}`,
    );
  }
  /** `r`'s p99 minus `base`'s, round by round (each pair of windows minutes apart at most). */
  const p99PerRound = (r: RelayResult, base: RelayResult) => {
    const diffs = r.roundP99.map((v, i) => v - base.roundP99[i]!);
    return `p99 − ${base.target} round by round: ${diffs.map((d) => signed(d, 1)).join(', ')} ms (median ${signed(median(diffs), 1)})`;
  };
  if (bare !== undefined && o.loadRounds > 1) {
    for (const r of rows) if (r !== bare) console.log(`- ${r.target}: ${perRound(r, bare, 2)}`);
    for (const r of rows) if (r !== bare) console.log(`- ${r.target}: ${p99PerRound(r, bare)}`);
    console.log();
  }
  if (compare !== undefined) {
    // This tree's server against the revision's, in the same rounds: a small change shows here
    // before it shows against the bare relay (3 digits: the A/A noise is about ±5 %).
    for (const r of rows) {
      const old = rows.find((x) => x.target === `${r.target}@${compare}`);
      if (old !== undefined) console.log(`- ${r.target}: ${perRound(r, old, 3)}`);
    }
    console.log();
  }
  const verdicts = relayVerdicts(rows);
  for (const v of verdicts) console.log(`- ${v.met ? 'met   ' : 'MISSED'} ${v.target}: ${v.detail}`);
  console.log();
  results.relay = { options: o, results: rows, verdicts };
}

if (selected('join-latency')) {
  const base = quick ? QUICK_JOIN_OPTIONS : DEFAULT_JOIN_OPTIONS;
  const o = { ...base, joins: numberOption('joins') ?? base.joins };
  console.log(
    `## join latency: ${o.joins} sequential rounds of create + joinById (after ${o.warmup} warm-up rounds), ` +
      'one Client in the harness process, WebSocket on 127.0.0.1, ms\n',
  );
  const rows: JoinLatencyResult[] = [];
  for (const target of JOIN_TARGETS) rows.push(await measureJoinLatency(target, o));
  const direct = rows.find((r) => r.target === 'netplay-ws');
  const added = (v: number, d: number | undefined) => (d === undefined ? '—' : signed(v - d, 2));
  console.log(
    table(
      [
        'server',
        'create p50',
        'create p99',
        'create max',
        'joinById p50',
        'joinById p99',
        'joinById max',
        'added p50, p99 (create)',
        'added p50, p99 (joinById)',
      ],
      rows.map((r) => [
        r.target === 'netplay-ws' ? 'Server (direct)' : 'cluster manager (redirect)',
        fmt(r.createP50, 2),
        fmt(r.createP99, 2),
        fmt(r.createMax, 1),
        fmt(r.joinByIdP50, 2),
        fmt(r.joinByIdP99, 2),
        fmt(r.joinByIdMax, 1),
        r === direct ? '' : `${added(r.createP50, direct?.createP50)}, ${added(r.createP99, direct?.createP99)}`,
        r === direct
          ? ''
          : `${added(r.joinByIdP50, direct?.joinByIdP50)}, ${added(r.joinByIdP99, direct?.joinByIdP99)}`,
      ]),
    ),
  );
  console.log();
  results.joinLatency = { options: o, results: rows };
}

if (jsonPath !== undefined) {
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${jsonPath}`);
}
