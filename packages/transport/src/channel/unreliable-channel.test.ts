import { describe, expect, it } from 'vitest';
import type { NetplayError } from '../errors.js';
import { type RecordHeader, readRecordHeader } from '../packet/message-record.js';
import { PacketBuilder } from '../packet/packet-builder.js';
import { PACKET_HEADER_SIZE } from '../packet/packet-header.js';
import type { ChannelSink } from './channel-sink.js';
import { UnreliableChannel, type UnreliableChannelSettings } from './unreliable-channel.js';

class FakeSink implements ChannelSink {
  delivered: [number, number[]][] = [];
  ackedIds: number[] = [];
  lostIds: number[] = [];
  violations: NetplayError[] = [];
  deliver(channelId: number, payload: Uint8Array): void {
    this.delivered.push([channelId, [...payload]]);
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

function make(over: Partial<UnreliableChannelSettings> = {}) {
  const sink = new FakeSink();
  const ch = new UnreliableChannel({ index: 1, id: 5, sequenced: false, maxQueue: 8, window: 32, ...over }, sink);
  return { ch, sink };
}

/** Records in a builder's packet as [channel, sequence, payload]. */
function recordsOf(builder: PacketBuilder): [number, number, number[]][] {
  const out: [number, number, number[]][] = [];
  const rec: RecordHeader = { channel: 0, sequence: 0, fragmentsRemaining: -1, payloadOffset: 0, payloadLength: 0 };
  const bytes = builder.packet;
  for (let at = PACKET_HEADER_SIZE; at < bytes.length; ) {
    at = readRecordHeader(bytes, at, rec);
    expect(rec.fragmentsRemaining).toBe(-1);
    out.push([
      rec.channel,
      rec.sequence,
      [...bytes.subarray(rec.payloadOffset, rec.payloadOffset + rec.payloadLength)],
    ]);
  }
  return out;
}

describe('UnreliableChannel: send side', () => {
  it('numbers messages consecutively and writes them with the wire id and their references', () => {
    const { ch } = make();
    expect(ch.send(new Uint8Array([1]))).toBe(0);
    expect(ch.send(new Uint8Array([2, 2]))).toBe(1);
    expect(ch.stats.queued).toBe(2);
    expect(ch.stats.queuedBytes).toBe(3);
    expect(ch.hasPending()).toBe(true);
    const b = new PacketBuilder(100);
    ch.write(b);
    expect(recordsOf(b)).toEqual([
      [5, 0, [1]],
      [5, 1, [2, 2]],
    ]);
    expect(b.refs.slice(0, 3)).toEqual([2, (1 << 16) | 0, (1 << 16) | 1]); // counted: [count, ref…]
    expect(ch.hasPending()).toBe(false);
    expect(ch.stats.queued).toBe(0);
    expect(ch.stats.queuedBytes).toBe(0);
    expect(ch.stats.messagesSent).toBe(2);
  });

  it('stops at the packet size and continues in the next packet', () => {
    const { ch } = make();
    for (let i = 0; i < 3; i++) ch.send(new Uint8Array(20).fill(i));
    const b = new PacketBuilder(PACKET_HEADER_SIZE + 2 * 24 + 23);
    ch.write(b);
    expect(recordsOf(b).map((r) => r[1])).toEqual([0, 1]);
    b.begin();
    ch.write(b);
    expect(recordsOf(b).map((r) => r[1])).toEqual([2]);
  });

  it('drops the oldest queued message past maxQueue and reports it lost', () => {
    const { ch, sink } = make({ maxQueue: 2 });
    ch.send(new Uint8Array([0]));
    ch.send(new Uint8Array([1]));
    ch.send(new Uint8Array([2]));
    ch.send(new Uint8Array([3]));
    expect(sink.lostIds).toEqual([0, 1]);
    expect(ch.stats.queueOverflows).toBe(2);
    expect(ch.stats.messagesLost).toBe(2);
    expect(ch.stats.queued).toBe(2);
    const b = new PacketBuilder(100);
    ch.write(b);
    expect(recordsOf(b).map((r) => r[1])).toEqual([2, 3]);
  });

  it('reports acks and losses per message id', () => {
    const { ch, sink } = make();
    ch.onAcked(3);
    ch.onLost(4);
    expect(sink.ackedIds).toEqual([3]);
    expect(sink.lostIds).toEqual([4]);
    expect(ch.stats.messagesAcked).toBe(1);
    expect(ch.stats.messagesLost).toBe(1);
  });

  it('message ids wrap at 65535', () => {
    const { ch } = make({ maxQueue: 1 << 20 });
    for (let i = 0; i < 65535; i++) ch.send(new Uint8Array(0));
    expect(ch.send(new Uint8Array(0))).toBe(65535);
    expect(ch.send(new Uint8Array(0))).toBe(0);
  });
});

describe('UnreliableChannel: receive side', () => {
  it('delivers in arrival order and drops duplicates', () => {
    const { ch, sink } = make();
    ch.receive(2, new Uint8Array([2]));
    ch.receive(0, new Uint8Array([0]));
    ch.receive(2, new Uint8Array([2]));
    ch.receive(1, new Uint8Array([1]));
    expect(sink.delivered.map(([, p]) => p[0])).toEqual([2, 0, 1]);
    expect(sink.delivered[0]![0]).toBe(5);
    expect(ch.stats.duplicatesDropped).toBe(1);
    expect(ch.stats.messagesDelivered).toBe(3);
  });

  it('drops messages older than the duplicate window as stale', () => {
    const { ch, sink } = make({ window: 32 });
    ch.receive(100, new Uint8Array(0));
    ch.receive(100 - 32, new Uint8Array(0));
    ch.receive(100 - 31, new Uint8Array(0));
    expect(sink.delivered).toHaveLength(2);
    expect(ch.stats.staleDropped).toBe(1);
  });

  it('sequenced mode drops anything not newer than the newest delivered, across the wrap', () => {
    const { ch, sink } = make({ sequenced: true });
    for (const s of [65534, 65533, 1, 65535, 0, 2]) ch.receive(s, new Uint8Array([s & 0xff]));
    expect(sink.delivered.map(([, p]) => p[0])).toEqual([65534 & 0xff, 1, 2]);
    expect(ch.stats.staleDropped).toBe(3);
    ch.receive(2, new Uint8Array([2]));
    expect(ch.stats.duplicatesDropped).toBe(1);
    expect(ch.stats.staleDropped).toBe(3);
  });

  it('sequenced mode delivers sequence 0 first', () => {
    const { ch, sink } = make({ sequenced: true });
    ch.receive(0, new Uint8Array([0]));
    ch.receive(1, new Uint8Array([1]));
    expect(sink.delivered).toHaveLength(2);
  });
});
