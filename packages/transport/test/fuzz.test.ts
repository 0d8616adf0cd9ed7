/**
 * Hostile input to `Connection.receive`: random datagrams, mutations of valid ones, sequence
 * numbers at and across wrap-around, impossible acks, corrupt fragment chains and fragment floods.
 * The properties live in `fuzz-properties.ts`; `npm run fuzz` runs them much longer.
 */
import {
  Connection,
  PACKET_HEADER_SIZE,
  PacketType,
  type ProtocolViolationError,
  writePacketHeader,
  writeRecordHeader,
} from '@netplay/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertFailedByViolation,
  Duo,
  feed,
  fragmentChainProperty,
  mutationProperty,
  newCoverage,
  R,
  randomDatagramsProperty,
  reliableBuffered,
  S,
  U,
  wrapAroundProperty,
} from './fuzz-properties.js';

const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 300);
const SEED = Number(process.env.FUZZ_SEED ?? 0xf022);

/** A data packet from "a" carrying `records` ([channel, sequence, fragmentsRemaining, payload]). */
function data(sequence: number, records: [number, number, number, Uint8Array][]): Uint8Array {
  let size = PACKET_HEADER_SIZE;
  for (const [, , fr, p] of records) size += (fr >= 0 ? 6 : 4) + p.length;
  const d = new Uint8Array(size);
  writePacketHeader(new DataView(d.buffer), PacketType.Data, sequence & 0xffff, false, 0, 0);
  let at = PACKET_HEADER_SIZE;
  for (const [channel, seq, fr, p] of records) {
    at = writeRecordHeader(d, at, channel, seq & 0xffff, p.length, fr);
    d.set(p, at);
    at += p.length;
  }
  return d;
}

/** Feed a fresh duo's `b` (no priming: its reliable channel expects message 0 next). */
function attack(datagrams: Uint8Array[]): Duo {
  const duo = new Duo();
  feed(duo, datagrams);
  return duo;
}

describe('fuzz: random and mutated datagrams (property)', () => {
  it('random, prefixed and structured datagrams: never throw, always accounted, bounded, recoverable', () => {
    const coverage = newCoverage();
    fc.assert(randomDatagramsProperty(coverage), { numRuns: RUNS, seed: SEED });
    expect(coverage.cases).toBe(RUNS);
    expect(coverage.accepted).toBeGreaterThan(0);
    expect(coverage.recovered).toBeGreaterThan(RUNS / 4);
  });

  it('bit flips, truncations, appended bytes, rewritten sequences, lengths and acks of real datagrams', () => {
    const coverage = newCoverage();
    fc.assert(mutationProperty(coverage), { numRuns: RUNS, seed: SEED + 1 });
    expect(coverage.accepted).toBeGreaterThan(0);
    expect(coverage.recovered).toBeGreaterThan(RUNS / 2);
  });

  it('forged sequences at and across the wrap, with acks at, behind and ahead of the newest sent', () => {
    const coverage = newCoverage();
    fc.assert(wrapAroundProperty(coverage), { numRuns: RUNS, seed: SEED + 2 });
    expect(coverage.accepted).toBe(RUNS);
  });

  it('random fragment chains match a model of reassembly; a broken chain fails with PROTOCOL_VIOLATION', () => {
    const coverage = newCoverage();
    fc.assert(fragmentChainProperty(coverage), { numRuns: RUNS, seed: SEED + 3 });
    expect(coverage.failed).toBeGreaterThan(RUNS / 10);
    expect(coverage.failed).toBeLessThan(RUNS);
  });
});

describe('fuzz: specific hostile inputs', () => {
  it('counts garbage, short, foreign and empty datagrams as invalid', () => {
    const duo = new Duo().prime();
    const before = duo.b.conn.stats.invalidPacketsDropped;
    const dat = [
      new Uint8Array(0),
      new Uint8Array(9).fill(0x4e),
      new Uint8Array(1200),
      Uint8Array.from([0x4e, 0x20, 0, 99, 0, 0, 0, 0, 0, 0]), // data packet without records
      Uint8Array.from([0x4e, 0x22, 0, 99, 0, 0, 0, 0, 0, 0, 1]), // keep-alive with a trailing byte
      Uint8Array.from([0x4e, 0x2f, 0, 99, 0, 0, 0, 0, 0, 0]), // unknown type
      Uint8Array.from([0x4e, 0x42, 0, 99, 0, 0, 0, 0, 0, 0]), // version 2
      Uint8Array.from([0x4e, 0x02, 0, 99, 0, 1, 0, 0, 0, 0]), // no ack flag but an ack
    ];
    feed(duo, dat);
    expect(duo.b.conn.stats.invalidPacketsDropped - before).toBe(dat.length);
    duo.assertExchangeWorks();
  });

  it('drops records whose length runs past the end, and a fragment on an unreliable channel', () => {
    const duo = new Duo().prime();
    const past = data(1000, [[U, 7, -1, new Uint8Array(10)]]);
    past[PACKET_HEADER_SIZE + 1] = 11; // declares 11 bytes, 10 follow
    const fragOnU = data(1001, [[U, 7, 2, new Uint8Array(10)]]);
    const unknownChannel = data(1002, [[9, 0, -1, new Uint8Array(3)]]);
    feed(duo, [past, fragOnU, unknownChannel]);
    expect(duo.b.conn.stats.invalidPacketsDropped).toBe(3);
    expect(duo.b.conn.stats.packetsReceived).toBe(duo.corpus.length);
    duo.assertExchangeWorks();
  });

  it('drops acks of packets never sent (ahead of the newest) and ignores acks older than the window', () => {
    const duo = new Duo().prime();
    const b = duo.b.conn;
    const newest = (b.stats.packetsSent - 1) & 0xffff;
    const withAck = (sequence: number, ack: number) => {
      const d = new Uint8Array(PACKET_HEADER_SIZE);
      writePacketHeader(new DataView(d.buffer), PacketType.KeepAlive, sequence, true, ack & 0xffff, 0xffffffff);
      return d;
    };
    // Two packets of `a` that the wire loses: the forged datagrams take their sequences. (One that
    // took a sequence `a` has yet to send would make `b` drop the real packet as a duplicate and
    // ack it, losing what it carried: an unauthenticated protocol cannot tell the two apart; an
    // encrypted link, `connectEncrypted`, can.)
    const gap = duo.corpus.length;
    for (let i = 0; i < 2; i++) {
      duo.a.conn.send(U, duo.payload(8));
      expect(duo.a.conn.flush(++duo.now)).toHaveLength(1);
    }
    const invalidBefore = b.stats.invalidPacketsDropped;
    feed(duo, [withAck(gap, newest + 1), withAck(gap, newest + 0x7fff), withAck(gap, newest + 300)]);
    expect(b.stats.invalidPacketsDropped - invalidBefore).toBe(3);
    const acked = b.stats.packetsAcked;
    feed(duo, [withAck(gap, newest - 5000), withAck(gap + 1, newest - 0x7fff)]);
    expect(b.stats.packetsAcked).toBe(acked);
    expect(b.stats.packetsReceived).toBe(duo.corpus.length + 2);
    duo.assertExchangeWorks();
  });

  it('replays of every datagram are duplicates; very old ones are stale', () => {
    const duo = new Duo().prime();
    for (let i = 0; i < 100; i++) {
      duo.a.conn.send(U, duo.payload(4));
      duo.run();
    }
    const b = duo.b.conn;
    const delivered = b.channelStats(U).messagesDelivered;
    const dup = b.stats.duplicatePacketsDropped;
    const stale = b.stats.stalePacketsDropped;
    feed(duo, duo.corpus.slice());
    const window = b.options.packetWindow;
    expect(b.stats.duplicatePacketsDropped - dup).toBe(window);
    expect(b.stats.stalePacketsDropped - stale).toBe(duo.corpus.length - window);
    expect(b.channelStats(U).messagesDelivered).toBe(delivered);
  });

  it('reliable messages far out of the receive window are dropped as stale, and the buffer stays within the window', () => {
    const duo = new Duo().prime();
    const b = duo.b.conn;
    const window = b.options.reliableWindow;
    const next = 5; // priming delivered messages 0..4 (fragments count singly, so more)
    const flood: Uint8Array[] = [];
    let seq = duo.corpus.length;
    for (let m = 0; m < 3 * window; m++) flood.push(data(seq++, [[R, next + 100 + m, -1, new Uint8Array([m & 0xff])]]));
    const report = feed(duo, flood);
    expect(report.accepted).toBe(flood.length);
    expect(reliableBuffered(b)[0]).toBeLessThanOrEqual(window);
    expect(b.channelStats(R).staleDropped).toBeGreaterThan(0);
  });

  it('sequenced and unreliable records across the wrap: duplicates and older ones are dropped', () => {
    const duo = new Duo();
    const got: number[] = [];
    duo.b.conn.setHandlers({ onMessage: (ch, p) => ch === S && got.push(p[0]!) });
    const seqs = [0xfffd, 0xfffe, 0xfffe, 0xffff, 0xfffd, 0, 1, 0xfffc, 0xffff, 2];
    feed(
      duo,
      seqs.map((m, i) => data(0xfff0 + i, [[S, m, -1, Uint8Array.of(i)]])),
    );
    // Delivered: 0xfffd, 0xfffe, 0xffff, 0, 1, 2 (i = 0, 1, 3, 5, 6, 9); repeats are duplicates
    // (i = 2, 4, 8); 0xfffc, never seen but older than 1, is stale (i = 7).
    expect(got).toEqual([0, 1, 3, 5, 6, 9]);
    expect(duo.b.conn.channelStats(S).duplicatesDropped).toBe(3);
    expect(duo.b.conn.channelStats(S).staleDropped).toBe(1);
  });
});

describe('fuzz: corrupt fragment chains fail the connection (PROTOCOL_VIOLATION)', () => {
  const frag = (n: number) => new Uint8Array(n).fill(0xab);
  const chains: [string, Uint8Array[]][] = [
    ['a chain that skips a count', [data(0, [[R, 0, 5, frag(100)]]), data(1, [[R, 1, 3, frag(100)]])]],
    ['a chain that counts up', [data(0, [[R, 0, 1, frag(100)]]), data(1, [[R, 1, 7, frag(100)]])]],
    [
      'a whole message inside a chain',
      [
        data(0, [
          [R, 0, 2, frag(100)],
          [R, 1, -1, frag(5)],
        ]),
      ],
    ],
    ['an empty non-final fragment', [data(0, [[R, 0, 3, frag(0)]])]],
    [
      'an absurd fragment count growing past maxMessageSize',
      Array.from({ length: 40 }, (_, i) => data(i, [[R, i, 0xffff - i, frag(1100)]])),
    ],
  ];

  for (const [name, datagrams] of chains) {
    it(name, () => {
      const duo = attack(datagrams);
      assertFailedByViolation(duo);
      expect((duo.b.errors[0] as ProtocolViolationError).message).toMatch(/protocol violation/);
      // Inert afterwards: later datagrams are ignored and not even counted.
      const accountedNow = duo.b.conn.stats.packetsReceived + duo.b.conn.stats.invalidPacketsDropped;
      duo.b.conn.receive(data(999, [[U, 0, -1, frag(3)]]), 0);
      expect(duo.b.conn.stats.packetsReceived + duo.b.conn.stats.invalidPacketsDropped).toBe(accountedNow);
      // A fresh connection is unaffected.
      new Duo().prime().assertExchangeWorks();
    });
  }

  it('a flood of full fragments for one message stops at maxMessageSize, without onMessage', () => {
    const delivered: number[] = [];
    const errors: Error[] = [];
    const b = new Connection(
      { maxMessageSize: 16 * 1024 },
      { onMessage: (_c, p) => delivered.push(p.length), onError: (e) => errors.push(e) },
    );
    let sent = 0;
    for (let i = 0; i < 1000 && b.state === 'open'; i++, sent++)
      b.receive(data(i, [[R, i, 60_000 - i, frag(1180)]]), i);
    expect(b.state).toBe('failed');
    expect(sent).toBe(Math.floor((16 * 1024) / 1180) + 1);
    expect(delivered).toEqual([]);
    expect(errors.map((e) => (e as ProtocolViolationError).code)).toEqual(['PROTOCOL_VIOLATION']);
  });
});
