/**
 * Delivery latency of a reliable-ordered stream under loss, on the simulator and a virtual clock
 * (deterministic: the figures depend only on the seeds, never on the machine).
 *
 * Workload: side A sends one reliable-ordered message (`messageSize` bytes) per game tick at
 * `tickHz` for `durationMs` of game time to side B; the link has `oneWay` ms of latency in each
 * direction and the same loss condition in both. B only answers with what the protocol sends by
 * itself (acks). Latency is receive time − send time on the virtual clock; overhead is every
 * datagram byte in both directions divided by the payload bytes delivered.
 *
 * Protocols: Netplay with its defaults, Netplay with `redundantSends: 0` (selective resend only),
 * and the go-back-N baseline of `baseline/go-back-n.ts`.
 * @module
 */
import { type ConnectionOptions, DefaultChannel, Peer } from '@netplay/transport';
import { VirtualClock } from '../packages/transport/src/clock.js';
import type { NetworkConditions } from '../packages/transport/src/sim/network-conditions.js';
import type { SimulatedLink } from '../packages/transport/src/sim/simulated-link.js';
import { createSimulatedPair } from '../packages/transport/src/sim/simulated-pair.js';
import { GoBackNEndpoint } from './baseline/go-back-n.js';
import { percentile } from './stats.js';

/** A loss condition, applied to both directions. */
export interface LossScenario {
  name: string;
  conditions: Pick<NetworkConditions, 'loss' | 'burst'>;
}

export const LOSS_SCENARIOS: readonly LossScenario[] = [
  { name: '0 %', conditions: {} },
  { name: '5 %', conditions: { loss: 0.05 } },
  { name: '10 %', conditions: { loss: 0.1 } },
  { name: '20 %', conditions: { loss: 0.2 } },
  // Gilbert–Elliott: bursts of 4 datagrams on average, ≈ 7.4 % of datagrams lost in the long run.
  { name: 'burst (GE 2 %→bad, 25 %→good)', conditions: { burst: { pGoodToBad: 0.02, pBadToGood: 0.25 } } },
];

/** A protocol under test: binds a sender and a receiver to the two links of a simulated pair. */
export interface ProtocolUnderTest {
  name: string;
  /** Returns the sender's `send`; calls `onMessage` on the receiver for each delivered message. */
  setup(a: SimulatedLink, b: SimulatedLink, clock: VirtualClock, onMessage: (p: Uint8Array) => void): Sender;
}

interface Sender {
  send(payload: Uint8Array): void;
  /** Protocol-specific counters worth printing. */
  extra(): Record<string, number>;
}

function netplay(name: string, options: ConnectionOptions = {}): ProtocolUnderTest {
  return {
    name,
    setup(a, b, clock, onMessage) {
      // A UDP-style setup: never trust the (simulated) link to be reliable, even at 0 % loss.
      const connection = { reliableLink: false, ...options };
      const sender = new Peer({ link: a, clock, connection }, { onMessage: () => {} });
      new Peer({ link: b, clock, connection }, { onMessage: (_ch, p) => onMessage(p) });
      return {
        send: (p) => sender.send(DefaultChannel.Reliable, p),
        extra: () => {
          const s = sender.connection.stats;
          return {
            resent: s.messagesResent,
            redundant: s.redundantSends,
            timeouts: s.timeouts,
            spurious: s.spuriousLosses,
          };
        },
      };
    },
  };
}

export const PROTOCOLS: readonly ProtocolUnderTest[] = [
  netplay('netplay'),
  netplay('netplay redundantSends=0', { redundantSends: 0 }),
  // Diagnostic: isolates the congestion controller's part in the burst-loss figures (docs/benchmarks.md).
  netplay('netplay congestionControl=false', { congestionControl: false }),
  {
    name: 'go-back-N baseline',
    setup(a, b, clock, onMessage) {
      const sender = new GoBackNEndpoint(a, clock, () => {});
      new GoBackNEndpoint(b, clock, onMessage);
      return {
        send: (p) => sender.send(p),
        extra: () => ({ resent: sender.stats.retransmissions, timeouts: sender.stats.timeouts }),
      };
    },
  },
];

export interface LatencyOptions {
  /** Game time during which messages are sent, ms. */
  durationMs: number;
  tickHz: number;
  messageSize: number;
  oneWay: number;
  /** Independent runs (seeds 1..seeds) whose samples are pooled. */
  seeds: number;
}

export const DEFAULT_LATENCY_OPTIONS: LatencyOptions = {
  durationMs: 60_000,
  tickHz: 60,
  messageSize: 64,
  oneWay: 50,
  seeds: 3,
};

export interface LatencyResult {
  protocol: string;
  scenario: string;
  sent: number;
  delivered: number;
  /** Messages delivered out of order or twice (must be 0). */
  orderErrors: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** All datagram bytes in both directions / payload bytes delivered. */
  bytesPerPayloadByte: number;
  /** Datagrams lost by the simulator / datagrams sent, both directions. */
  measuredLoss: number;
  extra: Record<string, number>;
}

/** Longest the run may continue after the last send for everything to arrive, ms. */
const DRAIN_LIMIT = 30_000;

function runOnce(protocol: ProtocolUnderTest, scenario: LossScenario, o: LatencyOptions, seed: number) {
  const clock = new VirtualClock();
  const conditions = { latency: o.oneWay, ...scenario.conditions };
  const [a, b] = createSimulatedPair({ clock, seed, aToB: conditions, bToA: conditions });
  const total = Math.floor((o.durationMs * o.tickHz) / 1000);
  const sentAt = new Float64Array(total);
  const latencies: number[] = [];
  let next = 0;
  let orderErrors = 0;
  const sender = protocol.setup(a, b, clock, (p) => {
    const index = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);
    if (index !== next) orderErrors++;
    next = index + 1;
    latencies.push(clock.now() - sentAt[index]!);
  });
  const interval = 1000 / o.tickHz;
  let sent = 0;
  const tick = (): void => {
    const payload = new Uint8Array(o.messageSize).fill(0xab);
    new DataView(payload.buffer).setUint32(0, sent);
    sentAt[sent] = clock.now();
    sender.send(payload);
    sent++;
    if (sent < total) clock.setTimeout(tick, sent * interval - clock.now());
  };
  clock.setTimeout(tick, 0);
  clock.advanceTo(total * interval);
  const deadline = clock.now() + DRAIN_LIMIT;
  while (latencies.length < total && clock.now() < deadline) clock.advance(1);
  const sa = a.stats.outbound;
  const sb = b.stats.outbound;
  const lostBySim = (s: typeof sa) => s.dropped.loss + s.dropped.burst;
  return {
    sent,
    latencies,
    orderErrors,
    wireBytes: sa.bytesIn + sb.bytesIn,
    datagrams: sa.datagramsIn + sb.datagramsIn,
    lost: lostBySim(sa) + lostBySim(sb),
    extra: sender.extra(),
  };
}

/** Run one protocol under one scenario over `o.seeds` seeds, pooling the samples. */
export function measureLatency(
  protocol: ProtocolUnderTest,
  scenario: LossScenario,
  o: LatencyOptions = DEFAULT_LATENCY_OPTIONS,
): LatencyResult {
  const all: number[] = [];
  let sent = 0;
  let orderErrors = 0;
  let wireBytes = 0;
  let datagrams = 0;
  let lost = 0;
  const extra: Record<string, number> = {};
  for (let seed = 1; seed <= o.seeds; seed++) {
    const r = runOnce(protocol, scenario, o, seed);
    for (const l of r.latencies) all.push(l);
    sent += r.sent;
    orderErrors += r.orderErrors;
    wireBytes += r.wireBytes;
    datagrams += r.datagrams;
    lost += r.lost;
    for (const [k, v] of Object.entries(r.extra)) extra[k] = (extra[k] ?? 0) + v;
  }
  all.sort((x, y) => x - y);
  return {
    protocol: protocol.name,
    scenario: scenario.name,
    sent,
    delivered: all.length,
    orderErrors,
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    max: all.length > 0 ? all[all.length - 1]! : Number.NaN,
    mean: all.reduce((s, x) => s + x, 0) / all.length,
    bytesPerPayloadByte: wireBytes / (all.length * o.messageSize),
    measuredLoss: lost / datagrams,
    extra,
  };
}
