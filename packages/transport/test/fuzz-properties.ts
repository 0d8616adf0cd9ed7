/**
 * Fuzz properties of `Connection.receive`, shared by `fuzz.test.ts` (a few hundred cases in the
 * normal run) and `fuzz-long.ts` (`npm run fuzz`, `FUZZ_RUNS` cases each). Plain `node:assert`,
 * no test runner, so both can use them.
 *
 * The victim is `b` of a {@link Duo}: two connections over a perfect in-process wire that already
 * exchanged reliable (some fragmented), unreliable and sequenced messages. Fuzzed datagrams go to
 * `b.receive` as if `a` had sent them.
 */
import assert from 'node:assert/strict';
import {
  Connection,
  type ConnectionOptions,
  DefaultChannel,
  PACKET_HEADER_SIZE,
  type PacketHeader,
  PacketType,
  readPacketHeader,
  seqDiff,
  writePacketHeader,
  writeRecordHeader,
} from '@netplay/transport';
import fc from 'fast-check';

export const R = DefaultChannel.Reliable;
export const U = DefaultChannel.Unreliable;
export const S = DefaultChannel.Sequenced;

/** Small limits so floods hit them quickly. */
export const FUZZ_OPTIONS: ConnectionOptions = { maxMessageSize: 16 * 1024, reliableWindow: 64, packetWindow: 64 };

// ============================================================================================ the duo

interface End {
  conn: Connection;
  got: { channel: number; payload: Uint8Array }[];
  errors: Error[];
}

/** Two connections over a perfect wire, driven by hand in 1 ms steps. */
export class Duo {
  now = 0;
  readonly a: End;
  readonly b: End;
  /** Every datagram `a` sent to `b`, in order (the mutation corpus). */
  readonly corpus: Uint8Array[] = [];
  private nextTag = 0;

  constructor(options: ConnectionOptions = FUZZ_OPTIONS) {
    const end = (): End => {
      const e: End = { conn: undefined as unknown as Connection, got: [], errors: [] };
      e.conn = new Connection(options, {
        onMessage: (channel, payload) => e.got.push({ channel, payload: payload.slice() }),
        onError: (error) => e.errors.push(error),
      });
      return e;
    };
    this.a = end();
    this.b = end();
  }

  /** A tagged payload: 2 bytes tag, then a pattern; `size` ≥ 2. */
  payload(size: number): Uint8Array {
    const tag = this.nextTag++ & 0xffff;
    const p = new Uint8Array(Math.max(2, size));
    p[0] = tag >> 8;
    p[1] = tag & 0xff;
    for (let i = 2; i < p.length; i++) p[i] = (tag + i) & 0xff;
    return p;
  }

  /** Flush and deliver both ways until both are idle; returns false when `maxMs` ran out. */
  run(maxMs = 60_000): boolean {
    const end = this.now + maxMs;
    while (this.now < end) {
      this.now++;
      const fromA = this.a.conn.flush(this.now);
      const fromB = this.b.conn.flush(this.now);
      for (const d of fromA) {
        this.corpus.push(d);
        this.b.conn.receive(d, this.now);
      }
      for (const d of fromB) this.a.conn.receive(d, this.now);
      if (!this.a.conn.hasPendingData && !this.b.conn.hasPendingData) return true;
    }
    return false;
  }

  /** A first exchange: reliable (two fragmented), unreliable and sequenced messages both ways. */
  prime(): this {
    for (const size of [10, 900, 3000, 40, 2500]) this.a.conn.send(R, this.payload(size));
    for (let i = 0; i < 5; i++) {
      this.a.conn.send(U, this.payload(20 + i));
      this.a.conn.send(S, this.payload(30 + i));
      this.b.conn.send(R, this.payload(50 + i));
    }
    assert.ok(this.run(), 'priming exchange did not go quiet');
    assert.equal(this.b.got.filter((m) => m.channel === R).length, 5);
    return this;
  }

  /**
   * A fresh exchange after fuzzing: `count` reliable messages each way arrive exactly once and in
   * order, byte for byte.
   */
  assertExchangeWorks(count = 8, maxMs = 600_000): void {
    const fromA: Uint8Array[] = [];
    const fromB: Uint8Array[] = [];
    const skipB = this.b.got.length;
    const skipA = this.a.got.length;
    for (let i = 0; i < count; i++) {
      fromA.push(this.payload(i === 3 ? 2500 : 10 + i));
      this.a.conn.send(R, fromA[i]!);
      fromB.push(this.payload(12 + i));
      this.b.conn.send(R, fromB[i]!);
    }
    assert.ok(this.run(maxMs), `exchange after fuzzing did not complete within ${maxMs} ms`);
    const gotB = this.b.got.slice(skipB).filter((m) => m.channel === R);
    const gotA = this.a.got.slice(skipA).filter((m) => m.channel === R);
    assert.deepEqual(
      gotB.map((m) => m.payload),
      fromA,
    );
    assert.deepEqual(
      gotA.map((m) => m.payload),
      fromB,
    );
  }
}

// ============================================================================================ invariants

/** Datagrams `c` has accounted for: accepted, or dropped and counted. */
export function accounted(c: Connection): number {
  const s = c.stats;
  return s.packetsReceived + s.invalidPacketsDropped + s.duplicatePacketsDropped + s.stalePacketsDropped;
}

/**
 * Units buffered out of order by each reliable channel. Not in the public stats yet, so read from
 * the channel (test-only access).
 */
export function reliableBuffered(c: Connection): number[] {
  const channels = (c as unknown as { channels: ({ bufferedOutOfOrder?: number } | undefined)[] }).channels;
  return channels.flatMap((ch) => (ch?.bufferedOutOfOrder === undefined ? [] : [ch.bufferedOutOfOrder]));
}

/** What feeding fuzzed datagrams to `duo.b` did. */
export interface FeedReport {
  /** Datagrams accepted as new packets. */
  accepted: number;
  /** Largest forward jump of the packet sequence among accepted datagrams. */
  maxJump: number;
  /** Reliable messages delivered because of fuzzed datagrams. */
  reliableDelivered: number;
}

/**
 * Feed `datagrams` to `duo.b` and check, after each one: nothing throws; while open, each datagram
 * is accounted exactly once (accepted, or counted as invalid / duplicate / stale); the reliable
 * receive buffer never exceeds the window; the only way to fail is a PROTOCOL_VIOLATION reported
 * once to onError, after which the connection ignores input and sends nothing.
 */
export function feed(duo: Duo, datagrams: readonly Uint8Array[]): FeedReport {
  const b = duo.b.conn;
  const window = b.options.reliableWindow;
  const header: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
  const deliveredBefore = b.channelStats(R).messagesDelivered;
  const report: FeedReport = { accepted: 0, maxJump: 0, reliableDelivered: 0 };
  let latest = lastSequence(duo.corpus);
  for (const d of datagrams) {
    const wasOpen = b.state === 'open';
    const before = accounted(b);
    const acceptedBefore = b.stats.packetsReceived;
    b.receive(d, duo.now);
    if (wasOpen) assert.equal(accounted(b), before + 1, 'a datagram was neither accepted nor counted as dropped');
    else assert.equal(accounted(b), before, 'a failed connection still processed a datagram');
    if (b.stats.packetsReceived > acceptedBefore) {
      report.accepted++;
      assert.ok(readPacketHeader(d, header), 'an accepted datagram has a valid header');
      const jump = seqDiff(header.sequence, latest);
      if (jump > 0) {
        report.maxJump = Math.max(report.maxJump, jump);
        latest = header.sequence;
      }
    }
    for (const n of reliableBuffered(b)) assert.ok(n <= window, `reliable buffer holds ${n} > window ${window}`);
  }
  report.reliableDelivered = b.channelStats(R).messagesDelivered - deliveredBefore;
  if (b.state === 'failed') assertFailedByViolation(duo);
  else {
    assert.equal(b.state, 'open');
    assert.deepEqual(duo.b.errors, []);
  }
  return report;
}

/** `duo.b` failed with exactly one PROTOCOL_VIOLATION and is inert. */
export function assertFailedByViolation(duo: Duo): void {
  const b = duo.b.conn;
  assert.equal(b.state, 'failed');
  assert.equal(duo.b.errors.length, 1);
  assert.equal((duo.b.errors[0] as { code?: string }).code, 'PROTOCOL_VIOLATION');
  assert.deepEqual(b.flush(duo.now + 1000), []);
  assert.equal(b.nextTimeout(duo.now), Number.POSITIVE_INFINITY);
  assert.throws(() => b.send(R, new Uint8Array(1)), { code: 'CLOSED' });
}

function lastSequence(corpus: readonly Uint8Array[]): number {
  const h: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
  const last = corpus[corpus.length - 1];
  return last !== undefined && readPacketHeader(last, h) ? h.sequence : 0;
}

/**
 * After fuzzing: when every fuzzed datagram was dropped, a valid exchange still works; when the
 * connection failed, a fresh one is unaffected. Returns whether the exchange was checked.
 *
 * A fuzzed datagram that is *accepted* is indistinguishable from a spoofed packet of the peer: it
 * takes a packet sequence the real peer will use (that real packet is then dropped as a duplicate
 * although it gets acked, so its reliable messages are lost), and a sequence far ahead wedges the
 * connection (the peer drops every ack of it as impossible, this side drops the peer's packets as
 * stale). Nothing below the session layer can tell a spoofed packet from a real one, so no recovery
 * is asserted then; the other invariants (`feed`) still hold.
 */
export function assertRecovers(duo: Duo, report: FeedReport): boolean {
  if (duo.b.conn.state !== 'open') {
    new Duo().prime().assertExchangeWorks();
    return false;
  }
  if (report.accepted > 0) return false;
  duo.assertExchangeWorks();
  return true;
}

// ============================================================================================ generators

/** Sequence numbers around the interesting edges (wrap-around, half space) and anywhere. */
export const arbSeq = fc.oneof(
  fc.constantFrom(0, 1, 2, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffd, 0xfffe, 0xffff),
  fc.integer({ min: 0, max: 0xffff }),
);

/** A packet header with arbitrary fields, including bad protocol id, version and type. */
export const arbHeader = fc.record({
  id: fc.oneof({ weight: 9, arbitrary: fc.constant(0x4e) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  version: fc.oneof({ weight: 9, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }) }),
  hasAck: fc.boolean(),
  type: fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(0, 1, 2) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
  ),
  sequence: arbSeq,
  ack: arbSeq,
  ackBits: fc.integer({ min: 0, max: 0xffffffff }),
});

/** A message record whose declared length and fragment count may lie. */
export const arbRecord = fc.record({
  channel: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(R, U, S) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
  ),
  sequence: arbSeq,
  fragmentsRemaining: fc.oneof(
    { weight: 3, arbitrary: fc.constant(-1) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 0xfffe, 0xffff) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  ),
  payload: fc.uint8Array({ maxLength: 300 }),
  /** Declared length minus the real one (lengths past the end, or short). */
  lengthError: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -8, max: 2047 }) },
  ),
});

type Header = typeof arbHeader extends fc.Arbitrary<infer T> ? T : never;
type RecordSpec = typeof arbRecord extends fc.Arbitrary<infer T> ? T : never;

/** Build a datagram from a (possibly lying) header and records. */
export function buildDatagram(h: Header, records: readonly RecordSpec[], truncateTo?: number): Uint8Array {
  let size = PACKET_HEADER_SIZE;
  for (const r of records) size += (r.fragmentsRemaining >= 0 ? 6 : 4) + r.payload.length;
  const d = new Uint8Array(size);
  const view = new DataView(d.buffer);
  writePacketHeader(view, h.type & 0x0f, h.sequence, h.hasAck, h.ack, h.ackBits);
  d[0] = h.id;
  d[1] = ((h.version & 7) << 5) | (d[1]! & 0x1f);
  let at = PACKET_HEADER_SIZE;
  for (const r of records) {
    const length = Math.max(0, Math.min(0x7ff, r.payload.length + r.lengthError));
    at = writeRecordHeader(d, at, r.channel, r.sequence, length, r.fragmentsRemaining);
    d.set(r.payload, at);
    at += r.payload.length;
  }
  return truncateTo === undefined ? d : d.subarray(0, Math.min(truncateTo, d.length));
}

export const arbStructuredDatagram = fc
  .tuple(arbHeader, fc.array(arbRecord, { maxLength: 6 }), fc.option(fc.nat({ max: 2000 }), { nil: undefined }))
  .map(([h, records, cut]) => buildDatagram(h, records, cut));

/** Any datagram: random bytes, random bytes behind a valid-looking prefix, or structured. */
export const arbDatagram = fc.oneof(
  fc.uint8Array({ maxLength: 1500 }),
  fc
    .tuple(fc.constantFrom(0x20, 0x21, 0x22, 0x30, 0x31, 0x32), fc.uint8Array({ maxLength: 1400 }))
    .map(([b1, rest]) => {
      const d = new Uint8Array(2 + rest.length);
      d[0] = 0x4e;
      d[1] = b1;
      d.set(rest, 2);
      return d;
    }),
  arbStructuredDatagram,
);

/** One mutation of a valid datagram. */
export const arbMutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ op: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  // Header sequence (2) / ack (4), first record's length / sequence / fragment count (10, 12, 14).
  fc.record({ op: fc.constant('u16' as const), at: fc.constantFrom(2, 4, 10, 12, 14), value: arbSeq }),
  // Ack relative to what b really sent: at, ahead of, far behind, far ahead of its newest packet.
  fc.record({
    op: fc.constant('ack' as const),
    delta: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -0x8000, max: 0x7fff })),
  }),
);
export type Mutation = typeof arbMutation extends fc.Arbitrary<infer T> ? T : never;

/** Apply `mutations` to a copy of `datagram`; `bNewest` is the newest sequence b has sent. */
export function mutate(datagram: Uint8Array, mutations: readonly Mutation[], bNewest: number): Uint8Array {
  let d = datagram.slice();
  for (const m of mutations) {
    switch (m.op) {
      case 'flip':
        if (d.length > 0) d[m.at % d.length]! ^= 1 << m.bit;
        break;
      case 'truncate':
        d = d.slice(0, m.at % (d.length + 1));
        break;
      case 'append': {
        const e = new Uint8Array(d.length + m.bytes.length);
        e.set(d);
        e.set(m.bytes, d.length);
        d = e;
        break;
      }
      case 'byte':
        if (d.length > 0) d[m.at % d.length] = m.value;
        break;
      case 'u16':
        if (m.at + 2 <= d.length) new DataView(d.buffer, d.byteOffset).setUint16(m.at, m.value);
        break;
      case 'ack':
        if (d.length >= PACKET_HEADER_SIZE) {
          d[1]! |= 0x10;
          new DataView(d.buffer, d.byteOffset).setUint16(4, (bNewest + m.delta) & 0xffff);
        }
        break;
    }
  }
  return d;
}

// ============================================================================================ properties

/** Coverage counters, so a run can check that its properties were not vacuous. */
export interface Coverage {
  cases: number;
  accepted: number;
  failed: number;
  recovered: number;
}
export const newCoverage = (): Coverage => ({ cases: 0, accepted: 0, failed: 0, recovered: 0 });

/** Random and structured datagrams fed to a primed connection. */
export function randomDatagramsProperty(coverage = newCoverage()) {
  return fc.property(fc.array(arbDatagram, { minLength: 1, maxLength: 20 }), (datagrams) => {
    const duo = new Duo().prime();
    const report = feed(duo, datagrams);
    tally(coverage, duo, report, assertRecovers(duo, report));
  });
}

/** Mutations of datagrams the connection really received (so most stay duplicates unless the sequence moves). */
export function mutationProperty(coverage = newCoverage()) {
  return fc.property(
    fc.array(fc.tuple(fc.nat(), fc.array(arbMutation, { minLength: 1, maxLength: 4 })), {
      minLength: 1,
      maxLength: 12,
    }),
    (plan) => {
      const duo = new Duo().prime();
      const bNewest = (duo.b.conn.stats.packetsSent - 1) & 0xffff;
      const datagrams = plan.map(([i, ms]) => mutate(duo.corpus[i % duo.corpus.length]!, ms, bNewest));
      const report = feed(duo, datagrams);
      tally(coverage, duo, report, assertRecovers(duo, report));
    },
  );
}

/**
 * Forged packets from "a" whose sequences start anywhere (often just before the wrap) and go up,
 * with acks at, behind and ahead of b's newest packet, and records on every channel.
 */
export function wrapAroundProperty(coverage = newCoverage()) {
  return fc.property(
    arbSeq,
    fc.array(
      fc.record({
        step: fc.integer({ min: -3, max: 40 }),
        ackDelta: fc.integer({ min: -300, max: 3 }),
        channel: fc.constantFrom(U, S),
        message: arbSeq,
      }),
      { minLength: 1, maxLength: 40 },
    ),
    (start, steps) => {
      const duo = new Duo(); // fresh: the first forged packet sets where the sequences start
      duo.b.conn.send(R, duo.payload(4));
      duo.b.conn.flush(0); // b has sent packet 0: acks of it are valid
      let seq = start;
      const datagrams = steps.map((s) => {
        seq = (seq + s.step) & 0xffff;
        return buildDatagram(
          {
            id: 0x4e,
            version: 1,
            type: PacketType.Data,
            hasAck: true,
            sequence: seq,
            ack: s.ackDelta & 0xffff,
            ackBits: 0,
          },
          [
            {
              channel: s.channel,
              sequence: s.message,
              fragmentsRemaining: -1,
              payload: new Uint8Array([1, 2]),
              lengthError: 0,
            },
          ],
        );
      });
      const report = feed(duo, datagrams);
      // Future acks (ackDelta > 0) are invalid; every other datagram with a new sequence is accepted.
      const future = steps.filter((s) => s.ackDelta > 0).length;
      assert.ok(duo.b.conn.stats.invalidPacketsDropped >= future);
      tally(coverage, duo, report, false);
    },
  );
}

function tally(c: Coverage, duo: Duo, report: FeedReport, recovered: boolean): void {
  c.cases++;
  if (report.accepted > 0) c.accepted++;
  if (duo.b.conn.state === 'failed') c.failed++;
  if (recovered) c.recovered++;
}

/**
 * Random fragment chains on the reliable channel, in order, against a model of reassembly: a chain
 * must count down by one to zero, non-final fragments are non-empty, a whole message may not
 * interrupt a chain, and the total stays within maxMessageSize. Valid chains deliver exactly the
 * concatenation; the first broken one fails the connection with a PROTOCOL_VIOLATION.
 */
export function fragmentChainProperty(coverage = newCoverage()) {
  const unit = fc.record({
    fragmentsRemaining: fc.oneof(
      { weight: 2, arbitrary: fc.constant(-1) },
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }) },
      { weight: 1, arbitrary: fc.constantFrom(0xfffe, 0xffff) },
    ),
    size: fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 1100 }) },
    ),
  });
  return fc.property(fc.array(unit, { minLength: 1, maxLength: 40 }), (units) => {
    const duo = new Duo();
    const max = duo.b.conn.options.maxMessageSize;
    // The model.
    const expected: number[] = [];
    let failed = false;
    let chain = -1;
    let bytes = 0;
    for (const u of units) {
      if (chain < 0 && u.fragmentsRemaining < 0) {
        expected.push(u.size);
        continue;
      }
      if (
        u.fragmentsRemaining < 0 ||
        (chain >= 0 && u.fragmentsRemaining !== chain) ||
        (u.fragmentsRemaining > 0 && u.size === 0) ||
        bytes + u.size > max
      ) {
        failed = true;
        break;
      }
      bytes += u.size;
      if (u.fragmentsRemaining === 0) {
        expected.push(bytes);
        bytes = 0;
        chain = -1;
      } else chain = u.fragmentsRemaining - 1;
    }
    const datagrams = units.map((u, i) =>
      buildDatagram({ id: 0x4e, version: 1, type: PacketType.Data, hasAck: false, sequence: i, ack: 0, ackBits: 0 }, [
        {
          channel: R,
          sequence: i,
          fragmentsRemaining: u.fragmentsRemaining,
          payload: new Uint8Array(u.size).fill(i),
          lengthError: 0,
        },
      ]),
    );
    const report = feed(duo, datagrams);
    assert.equal(duo.b.conn.state, failed ? 'failed' : 'open');
    const delivered = duo.b.got.filter((m) => m.channel === R).map((m) => m.payload.length);
    assert.deepEqual(delivered, failed ? delivered.slice(0, expected.length) : expected);
    assert.deepEqual(delivered, expected.slice(0, delivered.length));
    tally(coverage, duo, report, assertRecoversFresh(duo));
  });
}

function assertRecoversFresh(duo: Duo): boolean {
  if (duo.b.conn.state === 'open') return false;
  new Duo().prime().assertExchangeWorks();
  return true;
}
