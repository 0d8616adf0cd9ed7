import { describe, expect, it } from 'vitest';
import { type NetplayError, SendQueueFullError } from '../errors.js';
import { type RecordHeader, readRecordHeader } from '../packet/message-record.js';
import { PacketBuilder } from '../packet/packet-builder.js';
import { PACKET_HEADER_SIZE } from '../packet/packet-header.js';
import type { ChannelSink } from './channel-sink.js';
import { type ReliableChannelSettings, ReliableOrderedChannel, type SendBudget } from './reliable-ordered-channel.js';

class FakeSink implements ChannelSink {
  delivered: number[][] = [];
  ackedIds: number[] = [];
  lostIds: number[] = [];
  violations: NetplayError[] = [];
  deliver(_channelId: number, payload: Uint8Array): void {
    this.delivered.push([...payload]);
  }
  acked(_channelId: number, messageId: number): void {
    this.ackedIds.push(messageId);
  }
  lost(_channelId: number, messageId: number): void {
    this.lostIds.push(messageId);
  }
  violation(error: NetplayError): void {
    this.violations.push(error);
  }
}

const DEFAULTS: ReliableChannelSettings = {
  index: 0,
  id: 3,
  window: 16,
  maxUnitPayload: 1186,
  fragmentPayload: 1184,
  maxMessageSize: 256 * 1024,
  maxQueueBytes: 1024 * 1024,
  redundantSends: 0,
};

function make(over: Partial<ReliableChannelSettings> = {}) {
  const sink = new FakeSink();
  return { ch: new ReliableOrderedChannel({ ...DEFAULTS, ...over }, sink), sink };
}

const unlimited = (): SendBudget => ({ bytes: Number.POSITIVE_INFINITY });

interface Rec {
  channel: number;
  sequence: number;
  fragmentsRemaining: number;
  payload: number[];
}

function recordsOf(builder: PacketBuilder): Rec[] {
  const out: Rec[] = [];
  const rec: RecordHeader = { channel: 0, sequence: 0, fragmentsRemaining: -1, payloadOffset: 0, payloadLength: 0 };
  const bytes = builder.packet;
  for (let at = PACKET_HEADER_SIZE; at < bytes.length; ) {
    at = readRecordHeader(bytes, at, rec);
    expect(at).toBeGreaterThan(0);
    out.push({
      channel: rec.channel,
      sequence: rec.sequence,
      fragmentsRemaining: rec.fragmentsRemaining,
      payload: [...bytes.subarray(rec.payloadOffset, rec.payloadOffset + rec.payloadLength)],
    });
  }
  return out;
}

/** Build packets (sequence numbers from `firstPacket`) until the channel writes nothing more. */
function drain(ch: ReliableOrderedChannel, mtu = 1200, firstPacket = 0): Rec[][] {
  const packets: Rec[][] = [];
  const b = new PacketBuilder(mtu);
  for (let seq = firstPacket; ; seq++) {
    b.begin();
    const budget = unlimited();
    ch.writeResends(b, seq, budget);
    ch.writeNew(b, seq, budget);
    if (b.records === 0) return packets;
    ch.writeRedundant(b, seq, budget);
    packets.push(recordsOf(b));
  }
}

const msg = (n: number, size = 10) => new Uint8Array(size).fill(n);

describe('ReliableOrderedChannel: send window and queue', () => {
  it('with window 16 and 40 messages queued, only 16 go before acks; each ack opens one slot', () => {
    const { ch } = make({ window: 16 });
    for (let i = 0; i < 40; i++) expect(ch.send(msg(i))).toBe(i);
    const first = drain(ch).flat();
    expect(first.map((r) => r.sequence)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(first.every((r) => r.channel === 3 && r.fragmentsRemaining === -1)).toBe(true);
    expect(ch.hasSendable()).toBe(false);
    expect(ch.stats.inFlight).toBe(16);
    expect(ch.stats.queued).toBe(24);
    // An ack past the head does not move the window.
    ch.onAcked(5);
    expect(ch.hasSendable()).toBe(false);
    // Acking the head (0..2) retires 0..2 in order; three more may go.
    for (const s of [0, 1, 2]) ch.onAcked(s);
    expect(
      drain(ch)
        .flat()
        .map((r) => r.sequence),
    ).toEqual([16, 17, 18]);
    expect(ch.hasSendable()).toBe(false);
  });

  it('respects the byte budget (congestion window)', () => {
    const { ch } = make();
    for (let i = 0; i < 5; i++) ch.send(msg(i, 96)); // 100-byte records
    const b = new PacketBuilder(1200);
    const budget: SendBudget = { bytes: 250 };
    ch.writeNew(b, 0, budget);
    expect(recordsOf(b).map((r) => r.sequence)).toEqual([0, 1]);
    expect(budget.bytes).toBe(50);
  });

  it('throws SEND_QUEUE_FULL past maxQueueBytes without touching what is queued, and frees room on ack', () => {
    const { ch } = make({ maxQueueBytes: 100 });
    ch.send(msg(0, 46)); // 50 bytes with framing
    ch.send(msg(1, 46)); // 100
    let thrown: unknown;
    try {
      ch.send(msg(2, 1));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(SendQueueFullError);
    expect(thrown).toMatchObject({ code: 'SEND_QUEUE_FULL' });
    expect(ch.stats.queued).toBe(2);
    expect(ch.stats.messagesSent).toBe(2);
    drain(ch);
    ch.onAcked(0);
    expect(ch.send(msg(2, 46))).toBe(2); // the refused message took no sequence
  });

  it('counts fragment framing (6 bytes each) against the queue', () => {
    const { ch } = make({ maxUnitPayload: 20, fragmentPayload: 18, maxQueueBytes: 50 + 3 * 6 - 1 });
    expect(() => ch.send(new Uint8Array(50))).toThrow(SendQueueFullError);
    const ok = make({ maxUnitPayload: 20, fragmentPayload: 18, maxQueueBytes: 50 + 3 * 6 });
    expect(ok.ch.send(new Uint8Array(50))).toBe(0);
  });
});

describe('ReliableOrderedChannel: fragments and acks', () => {
  it('splits a large message into fragments with consecutive sequences counting down to 0', () => {
    const { ch } = make({ maxUnitPayload: 20, fragmentPayload: 18 });
    const big = Uint8Array.from({ length: 50 }, (_, i) => i);
    expect(ch.send(big)).toBe(0);
    expect(ch.send(msg(9, 5))).toBe(3);
    const recs = drain(ch).flat();
    expect(recs.map((r) => [r.sequence, r.fragmentsRemaining, r.payload.length])).toEqual([
      [0, 2, 18],
      [1, 1, 18],
      [2, 0, 14],
      [3, -1, 5],
    ]);
    expect(recs.slice(0, 3).flatMap((r) => r.payload)).toEqual([...big]);
  });

  it('an exactly maxUnitPayload message is not fragmented, one byte more is', () => {
    const { ch } = make({ maxUnitPayload: 20, fragmentPayload: 18 });
    ch.send(new Uint8Array(20));
    ch.send(new Uint8Array(21));
    expect(
      drain(ch)
        .flat()
        .map((r) => r.fragmentsRemaining),
    ).toEqual([-1, 1, 0]);
  });

  it('reports a fragmented message acked once, by its first sequence, after all its fragments; ids in order', () => {
    const { ch, sink } = make({ maxUnitPayload: 20, fragmentPayload: 18 });
    ch.send(new Uint8Array(50)); // units 0,1,2
    ch.send(msg(1, 5)); // unit 3
    ch.send(new Uint8Array(30)); // units 4,5
    drain(ch);
    ch.onAcked(3);
    ch.onAcked(1);
    expect(sink.ackedIds).toEqual([]);
    ch.onAcked(0);
    expect(sink.ackedIds).toEqual([]); // fragment 2 still unacked
    ch.onAcked(5);
    ch.onAcked(2);
    expect(sink.ackedIds).toEqual([0, 3]);
    ch.onAcked(4);
    expect(sink.ackedIds).toEqual([0, 3, 4]);
    expect(ch.stats.messagesAcked).toBe(3);
    expect(ch.stats.inFlight).toBe(0);
    expect(ch.hasUnacked()).toBe(false);
    ch.onAcked(4); // late duplicate ack: nothing
    expect(sink.ackedIds).toEqual([0, 3, 4]);
  });

  it('selective resend: only units whose every copy was lost go again, in a later packet', () => {
    const { ch } = make();
    for (let i = 0; i < 3; i++) ch.send(msg(i));
    const b = new PacketBuilder(1200);
    // Three packets with one unit each.
    for (let seq = 0; seq < 3; seq++) {
      b.begin();
      const budget: SendBudget = { bytes: 14 };
      ch.writeNew(b, seq, budget);
      expect(recordsOf(b).map((r) => r.sequence)).toEqual([seq]);
    }
    ch.onLost(1);
    ch.onAcked(0);
    ch.onAcked(2);
    expect(ch.hasSendable()).toBe(true);
    const again = drain(ch, 1200, 3);
    expect(again.map((p) => p.map((r) => r.sequence))).toEqual([[1]]);
    expect(ch.stats.messagesResent).toBe(1);
    ch.onLost(1); // that copy lost too
    expect(
      drain(ch, 1200, 4)
        .flat()
        .map((r) => r.sequence),
    ).toEqual([1]);
    expect(ch.stats.messagesResent).toBe(2);
  });

  it('with redundancy, spare room carries extra copies, and a unit is resent only when every copy is lost', () => {
    const { ch } = make({ redundantSends: 1 });
    ch.send(msg(0));
    ch.send(msg(1));
    const p0 = drain(ch, 1200, 0);
    expect(p0.flat().map((r) => r.sequence)).toEqual([0, 1]); // no second copy in the same packet
    // Next packet carries another unit and redundant copies of 0 and 1.
    ch.send(msg(2));
    const p1 = drain(ch, 1200, 1);
    expect(p1.flat().map((r) => r.sequence)).toEqual([2, 0, 1]);
    expect(ch.stats.redundantSends).toBe(2);
    // Copies limit reached (redundantSends + 1 = 2 in flight): no third copy.
    ch.send(msg(3));
    expect(
      drain(ch, 1200, 2)
        .flat()
        .map((r) => r.sequence),
    ).toEqual([3, 2]);
    // Packet 0 lost: units 0 and 1 still have a copy in packet 1.
    ch.onLost(0);
    ch.onLost(1);
    expect(ch.hasSendable()).toBe(false);
    // Packet 1 lost too: 0 and 1 have no copy left; 2 still rides in packet 2.
    for (const s of [2, 0, 1]) ch.onLost(s);
    expect(ch.hasSendable()).toBe(true);
    // Resends first, then redundant copies of 2 and 3 (one copy each in flight).
    expect(
      drain(ch, 1200, 3)
        .flat()
        .map((r) => r.sequence),
    ).toEqual([0, 1, 2, 3]);
    expect(ch.stats.messagesResent).toBe(2);
  });

  it('an ack after the unit was marked for resend cancels the resend', () => {
    const { ch } = make();
    ch.send(msg(0));
    drain(ch);
    ch.onLost(0);
    expect(ch.hasSendable()).toBe(true);
    ch.onAcked(0); // the "lost" packet was acked after all
    expect(ch.hasSendable()).toBe(false);
    expect(ch.hasUnacked()).toBe(false);
    expect(drain(ch, 1200, 1)).toEqual([]);
  });
});

describe('ReliableOrderedChannel: receive side', () => {
  it('delivers exactly once and in order whatever the arrival order', () => {
    const { ch, sink } = make();
    for (const s of [2, 0, 2, 3, 1, 0, 4]) ch.receive(s, -1, msg(s, 1));
    expect(sink.delivered).toEqual([[0], [1], [2], [3], [4]]);
    expect(ch.stats.duplicatesDropped).toBe(2);
    expect(ch.bufferedOutOfOrder).toBe(0);
    expect(ch.stats.messagesDelivered).toBe(5);
  });

  it('drops units at or beyond the receive window', () => {
    const { ch, sink } = make({ window: 16 });
    ch.receive(16, -1, msg(16, 1));
    expect(ch.stats.staleDropped).toBe(1);
    ch.receive(15, -1, msg(15, 1));
    expect(ch.bufferedOutOfOrder).toBe(1);
    expect(sink.delivered).toEqual([]);
  });

  it('reassembles fragments, also out of order', () => {
    const { ch, sink } = make();
    ch.receive(2, 0, new Uint8Array([5]));
    ch.receive(0, 2, new Uint8Array([1, 2]));
    expect(sink.delivered).toEqual([]);
    ch.receive(1, 1, new Uint8Array([3, 4]));
    ch.receive(3, -1, new Uint8Array([9]));
    expect(sink.delivered).toEqual([[1, 2, 3, 4, 5], [9]]);
  });

  it('a whole message inside a fragment chain is a protocol violation; the channel then ignores input', () => {
    const { ch, sink } = make();
    ch.receive(0, 1, new Uint8Array([1]));
    ch.receive(1, -1, new Uint8Array([2]));
    expect(sink.violations).toHaveLength(1);
    expect(sink.violations[0]).toMatchObject({ code: 'PROTOCOL_VIOLATION' });
    expect(sink.violations[0]!.message).toContain('channel 3');
    ch.receive(2, -1, new Uint8Array([3]));
    expect(sink.delivered).toEqual([]);
    expect(sink.violations).toHaveLength(1);
  });

  it('a broken count-down or an oversize chain is a protocol violation', () => {
    const a = make();
    a.ch.receive(0, 3, new Uint8Array([1]));
    a.ch.receive(1, 1, new Uint8Array([1]));
    expect(a.sink.violations).toHaveLength(1);
    const b = make({ maxMessageSize: 3 });
    b.ch.receive(0, 1, new Uint8Array([1, 2]));
    b.ch.receive(1, 0, new Uint8Array([3, 4]));
    expect(b.sink.violations[0]!.message).toContain('exceeds 3 bytes');
    expect(b.sink.delivered).toEqual([]);
  });

  it('keeps ordering across the 65535 → 0 wrap', () => {
    const { ch, sink } = make({ window: 16 });
    let delivered = 0;
    for (let s = 0; s < 65534; s++) ch.receive(s, -1, msg(0, 0));
    delivered = sink.delivered.length;
    expect(delivered).toBe(65534);
    for (const s of [1, 0, 65535, 65534]) ch.receive(s, -1, new Uint8Array([s & 0xff]));
    expect(sink.delivered.slice(delivered)).toEqual([[0xfe], [0xff], [0], [1]]);
    ch.receive(65535, -1, new Uint8Array([0])); // old: duplicate, not a message 16 ahead
    expect(ch.stats.duplicatesDropped).toBe(1);
  });
});
