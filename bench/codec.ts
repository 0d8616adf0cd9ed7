/**
 * Packet codec throughput: a sender {@link Connection} and a receiver, no network, no clock.
 *
 * Each round the sender queues `perFlush` messages of `messageSize` bytes and flushes; the receiver
 * takes every datagram, then flushes (an ack-only packet, `ackDelay: 0`) and the sender takes it, so
 * the sender's books (sent packets, unacked reliable messages) drain as they would in a game. With
 * `acks` that return is timed (the ack phase); without, it is left out of the figures: encode and
 * decode alone. (A sender whose packets are never acked stops at a full packet window, as it
 * should, so the acks always flow.)
 *
 * Timing: each phase (send+flush, receive, ack return) is timed separately with
 * `performance.now()` around the phase of every round; the round count is fixed; the median of
 * several runs (after a warm-up run) is reported. GC count and time come from a `gc`
 * PerformanceObserver (cheap, no flags needed).
 * @module
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Connection, DefaultChannel } from '@netplay/transport';
import { median } from './stats.js';

export interface CodecCase {
  name: string;
  channel: number;
  perFlush: number;
  /** Time the ack return (the ack phase); without, acks still flow but are left out of the figures. */
  acks: boolean;
  /**
   * A reliable link (WebSocket) between the two: the receiver acks a Data packet after
   * `reliableLinkAckDelay`, here 4 rounds, so one cumulative ack covers about four packets, as a
   * server's WebSocket sessions see from a 20 Hz client.
   */
  reliableLink?: boolean;
}

export const CODEC_CASES: readonly CodecCase[] = [
  { name: 'unreliable, 1 msg/packet, acks untimed', channel: DefaultChannel.Unreliable, perFlush: 1, acks: false },
  { name: 'unreliable, 33 msgs/packet, acks untimed', channel: DefaultChannel.Unreliable, perFlush: 33, acks: false },
  { name: 'unreliable, 1 msg/packet, acks', channel: DefaultChannel.Unreliable, perFlush: 1, acks: true },
  { name: 'unreliable, 33 msgs/packet, acks', channel: DefaultChannel.Unreliable, perFlush: 33, acks: true },
  { name: 'reliable, 1 msg/packet, acks', channel: DefaultChannel.Reliable, perFlush: 1, acks: true },
  { name: 'reliable, 33 msgs/packet, acks', channel: DefaultChannel.Reliable, perFlush: 33, acks: true },
  {
    name: 'reliable link, 2 msgs/packet, acks every 4',
    channel: DefaultChannel.Reliable,
    perFlush: 2,
    acks: true,
    reliableLink: true,
  },
];

export interface CodecOptions {
  messageSize: number;
  /** Messages per measured run. */
  messages: number;
  /** Measured runs (after one warm-up run). */
  runs: number;
}

export const DEFAULT_CODEC_OPTIONS: CodecOptions = { messageSize: 32, messages: 400_000, runs: 5 };

export interface CodecResult {
  case: string;
  /** Packets produced per second of send+flush time. */
  packetsEncodedPerSec: number;
  /** Packets consumed per second of receive time. */
  packetsDecodedPerSec: number;
  /** Messages per second through send+flush+receive (+ ack return when on). */
  messagesPerSec: number;
  /** Share of the total time spent producing and consuming acks (0 without acks). */
  ackShare: number;
  /** Nanoseconds per message, total. */
  nsPerMessage: number;
  messagesPerPacket: number;
  /** Bytes per packet on the wire. */
  packetBytes: number;
  /** Garbage collections per million messages (median run). */
  gcPerMillion: number;
  /** GC pause time as a share of the run (median run). */
  gcShare: number;
}

interface RunTimes {
  encode: number;
  decode: number;
  ack: number;
  packets: number;
  bytes: number;
  delivered: number;
}

function runOnce(c: CodecCase, o: CodecOptions): RunTimes {
  // Defaults, except that the receiver acks at once (no delayed-ack timer in a loop without time),
  // or every 4 rounds (1 ms each) on a reliable link.
  const options = c.reliableLink ? { reliableLink: true, ackDelay: 0, reliableLinkAckDelay: 4 } : { ackDelay: 0 };
  let delivered = 0;
  const a = new Connection(options, { onMessage: () => {} });
  const b = new Connection(options, { onMessage: () => delivered++ });
  const payload = new Uint8Array(o.messageSize).fill(7);
  const rounds = Math.ceil(o.messages / c.perFlush);
  const t = { encode: 0, decode: 0, ack: 0, packets: 0, bytes: 0, delivered: 0 };
  let now = 0;
  for (let r = 0; r < rounds; r++) {
    now += 1;
    const t0 = performance.now();
    for (let i = 0; i < c.perFlush; i++) a.send(c.channel, payload);
    const datagrams = a.flush(now);
    const t1 = performance.now();
    for (const d of datagrams) b.receive(d, now);
    const t2 = performance.now();
    t.encode += t1 - t0;
    t.decode += t2 - t1;
    t.packets += datagrams.length;
    for (const d of datagrams) t.bytes += d.length;
    const t3 = performance.now();
    for (const d of b.flush(now)) a.receive(d, now);
    if (c.acks) t.ack += performance.now() - t3;
  }
  t.delivered = delivered;
  if (delivered !== rounds * c.perFlush) throw new Error(`${c.name}: delivered ${delivered} of ${rounds * c.perFlush}`);
  return t;
}

/** GC events observed during `fn` (delivered asynchronously, hence the await). */
async function withGc<T>(fn: () => T): Promise<{ value: T; count: number; ms: number }> {
  let count = 0;
  let ms = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      count++;
      ms += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const value = fn();
  await new Promise((resolve) => setTimeout(resolve, 20));
  obs.disconnect();
  return { value, count, ms };
}

export async function measureCodec(c: CodecCase, o: CodecOptions = DEFAULT_CODEC_OPTIONS): Promise<CodecResult> {
  runOnce(c, { ...o, messages: Math.min(o.messages, 100_000) }); // warm-up: let the JIT settle
  const runs: { t: RunTimes; gc: number; gcMs: number }[] = [];
  for (let i = 0; i < o.runs; i++) {
    const { value, count, ms } = await withGc(() => runOnce(c, o));
    runs.push({ t: value, gc: count, gcMs: ms });
  }
  const total = (r: RunTimes) => r.encode + r.decode + r.ack;
  const byTotal = [...runs].sort((x, y) => total(x.t) - total(y.t));
  const mid = byTotal[Math.floor(byTotal.length / 2)]!;
  const m = mid.t;
  return {
    case: c.name,
    packetsEncodedPerSec: median(runs.map((r) => r.t.packets / (r.t.encode / 1000))),
    packetsDecodedPerSec: median(runs.map((r) => r.t.packets / (r.t.decode / 1000))),
    messagesPerSec: median(runs.map((r) => r.t.delivered / (total(r.t) / 1000))),
    ackShare: m.ack / total(m),
    nsPerMessage: (total(m) * 1e6) / m.delivered,
    messagesPerPacket: m.delivered / m.packets,
    packetBytes: m.bytes / m.packets,
    gcPerMillion: (mid.gc * 1e6) / m.delivered,
    gcShare: mid.gcMs / total(m),
  };
}
