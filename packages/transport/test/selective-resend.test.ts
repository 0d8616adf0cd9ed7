/**
 * Selective resend through the public simulator: two `Peer`s on a `VirtualClock`, the sender's
 * link a `SimulatedLink` whose scripted drops (`dropIndices`) remove exactly datagrams k..k+2.
 * Every datagram the sender put on the wire is decoded, so the test knows which messages each one
 * carried and can check that only those of the dropped datagrams went again, each once, in new
 * packets — and that their unreliable companions were reported lost, never resent.
 */
import {
  createMemoryLinkPair,
  DefaultChannel,
  LinkDecorator,
  PACKET_HEADER_SIZE,
  type PacketHeader,
  PacketType,
  Peer,
  type RecordHeader,
  readPacketHeader,
  readRecordHeader,
  SimulatedLink,
  VirtualClock,
} from '@netplay/transport';
import { afterEach, describe, expect, it } from 'vitest';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;

/** Records every datagram sent through it (before the simulator sees it). */
class TapLink extends LinkDecorator {
  readonly sent: Uint8Array[] = [];
  override send(datagram: Uint8Array): void {
    this.sent.push(datagram.slice());
    this.inner.send(datagram);
  }
}

interface Decoded {
  header: PacketHeader;
  /** [channel, message sequence] of each record. */
  records: [number, number][];
}

function decode(datagram: Uint8Array): Decoded {
  const header: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
  expect(readPacketHeader(datagram, header)).toBe(true);
  const rec: RecordHeader = { channel: 0, sequence: 0, fragmentsRemaining: -1, payloadOffset: 0, payloadLength: 0 };
  const records: [number, number][] = [];
  for (let at = PACKET_HEADER_SIZE; at < datagram.length; ) {
    at = readRecordHeader(datagram, at, rec);
    expect(at).toBeGreaterThan(0);
    records.push([rec.channel, rec.sequence]);
  }
  return { header, records };
}

const msg = (i: number) => {
  const p = new Uint8Array(16);
  new DataView(p.buffer).setUint32(0, i);
  return p;
};
const idOf = (p: Uint8Array) => new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0);

const peers: Peer[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

/**
 * A sends one reliable and one unreliable message per 60 Hz tick for `count` ticks to B over 50 ms
 * one-way latency; A's datagrams `dropped` are removed by the simulator's scripted drops.
 */
function run(dropped: readonly number[], redundantSends: number, count = 40) {
  const clock = new VirtualClock();
  const [ma, mb] = createMemoryLinkPair({ clock });
  const simA = new SimulatedLink(ma, {
    clock,
    outbound: { latency: 50, dropIndices: dropped },
    reportUnreliable: true,
  });
  const simB = new SimulatedLink(mb, { clock, outbound: { latency: 50 }, reportUnreliable: true });
  const tap = new TapLink(simA);
  const got = { reliable: [] as number[], unreliable: [] as number[] };
  const lost: number[] = [];
  const connection = { redundantSends };
  const a = new Peer(
    { link: tap, clock, connection },
    { onMessage: () => {}, onLost: (ch, id) => ch === U && lost.push(id) },
  );
  const b = new Peer(
    { link: simB, clock, connection },
    { onMessage: (ch, p) => (ch === R ? got.reliable : got.unreliable).push(idOf(p)) },
  );
  peers.push(a, b);
  let n = 0;
  const tick = () => {
    a.send(R, msg(n));
    a.send(U, msg(n));
    if (++n < count) clock.setTimeout(tick, 1000 / 60);
  };
  clock.setTimeout(tick, 0);
  clock.runUntil(() => n === count && !a.connection.hasPendingData, 100_000);
  clock.advance(500); // let the last unreliable messages land and their acks come back
  const wire = tap.sent.map(decode);
  return { a, b, got, lost, wire, simA, count };
}

/** Datagram indices (of A's wire) carrying each message, per channel. */
function carriers(wire: Decoded[], channel: number): Map<number, number[]> {
  const map = new Map<number, number[]>();
  wire.forEach((d, index) => {
    for (const [ch, seq] of d.records) if (ch === channel) map.set(seq, [...(map.get(seq) ?? []), index]);
  });
  return map;
}

describe('selective resend over the simulator (scripted drops)', () => {
  it('dropping exactly datagrams k..k+2 resends only the reliable messages they carried, once each, in new packets', () => {
    const k = 6;
    const dropped = [k, k + 1, k + 2];
    const { a, got, lost, wire, simA, count } = run(dropped, 0);
    expect(simA.stats.outbound.dropped.scripted).toBe(3);
    // The dropped datagrams were data packets, each carrying one tick's messages.
    for (const i of dropped) expect(wire[i]!.header.type).toBe(PacketType.Data);

    const all = Array.from({ length: count }, (_, i) => i);
    expect(got.reliable).toEqual(all); // exactly once, in order

    const reliable = carriers(wire, R);
    const lostReliable = [...reliable].filter(([, at]) => at.some((i) => dropped.includes(i))).map(([s]) => s);
    expect(lostReliable).toHaveLength(3); // one per dropped datagram (one tick each)
    for (const [seq, at] of reliable) {
      if (lostReliable.includes(seq)) {
        expect(at).toHaveLength(2); // the dropped send and exactly one resend
        expect(at[1]!).toBeGreaterThan(k + 2); // in a packet sent after the drops
        expect(wire[at[1]!]!.header.sequence).not.toBe(wire[at[0]!]!.header.sequence); // a new packet
      } else {
        expect(at).toHaveLength(1); // never resent
      }
    }
    expect(a.connection.stats.messagesResent).toBe(lostReliable.length);
    expect(a.connection.stats.packetsLost).toBe(3);

    // Unreliable messages of the dropped datagrams: reported lost to the sender, never on the wire again.
    const unreliable = carriers(wire, U);
    const lostUnreliable = [...unreliable].filter(([, at]) => at.some((i) => dropped.includes(i))).map(([s]) => s);
    for (const [, at] of unreliable) expect(at).toHaveLength(1);
    expect(lost.sort((x, y) => x - y)).toEqual(lostUnreliable.sort((x, y) => x - y));
    expect(got.unreliable).toEqual(all.filter((i) => !lostUnreliable.includes(i)));
  });

  it('with redundancy (the default), only a message whose every copy was dropped goes again', () => {
    const k = 6;
    const dropped = [k, k + 1, k + 2];
    const { a, got, wire, count } = run(dropped, 2);
    expect(got.reliable).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(a.connection.stats.packetsLost).toBe(3);
    expect(a.connection.stats.redundantSends).toBeGreaterThan(0);
    // Each message rides in three consecutive datagrams (itself and two redundant copies) before its
    // ack can come back: only a message whose three copies were all dropped (the one first sent in
    // datagram k) goes again. Messages with a copy in datagram k+3 or later never do.
    const reliable = carriers(wire, R);
    const everyCopyDropped = [...reliable]
      .filter(([, at]) => at.slice(0, 3).every((i) => dropped.includes(i)))
      .map(([s]) => s);
    expect(everyCopyDropped).toHaveLength(1);
    expect(a.connection.stats.messagesResent).toBe(everyCopyDropped.length);
    // Every message reached B through a datagram that was not dropped.
    for (const [, at] of reliable) expect(at.some((i) => !dropped.includes(i))).toBe(true);
  });
});
