import {
  Connection,
  DefaultChannel,
  FRAGMENT_RECORD_HEADER_SIZE,
  PACKET_HEADER_SIZE,
  type PacketHeader,
  PacketType,
  RECORD_HEADER_SIZE,
  type RecordHeader,
  readPacketHeader,
  readRecordHeader,
} from '@netplay/transport';
import { describe, expect, it } from 'vitest';
import { ConnectionPair, text, untext } from './connection-pair.js';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;
const S = DefaultChannel.Sequenced;

/** Decode every record of a datagram: [channel, sequence, fragmentsRemaining, payload]. */
function records(datagram: Uint8Array): { header: PacketHeader; records: [number, number, number, Uint8Array][] } {
  const header: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
  expect(readPacketHeader(datagram, header)).toBe(true);
  const out: [number, number, number, Uint8Array][] = [];
  const rec: RecordHeader = { channel: 0, sequence: 0, fragmentsRemaining: -1, payloadOffset: 0, payloadLength: 0 };
  let at = PACKET_HEADER_SIZE;
  while (at < datagram.length) {
    at = readRecordHeader(datagram, at, rec);
    expect(at).toBeGreaterThan(0);
    out.push([
      rec.channel,
      rec.sequence,
      rec.fragmentsRemaining,
      datagram.subarray(rec.payloadOffset, rec.payloadOffset + rec.payloadLength),
    ]);
  }
  return { header, records: out };
}

describe('Connection: framing', () => {
  it('uses a 10-byte header and 4 bytes of framing per message, coalescing messages into one packet', () => {
    const c = new Connection();
    const payload = new Uint8Array(32).fill(7);
    for (let i = 0; i < 10; i++) c.send(R, payload);
    const out = c.flush(0);
    expect(out).toHaveLength(1);
    expect(PACKET_HEADER_SIZE).toBe(10);
    expect(RECORD_HEADER_SIZE).toBe(4);
    expect(out[0]!.length).toBe(10 + 10 * (4 + 32));
  });

  it('never exceeds the MTU and splits many messages into several packets', () => {
    const c = new Connection({ mtu: 500 });
    for (let i = 0; i < 100; i++) c.send(U, new Uint8Array(40));
    const out = c.flush(0);
    expect(out.length).toBeGreaterThan(1);
    for (const d of out) expect(d.length).toBeLessThanOrEqual(500);
    const total = out.reduce((n, d) => n + records(d).records.length, 0);
    expect(total).toBe(100);
  });

  it('refuses oversize messages with MESSAGE_TOO_LARGE and keeps what is queued', () => {
    const c = new Connection({ maxMessageSize: 4096 });
    c.send(R, text('kept'));
    expect(() => c.send(U, new Uint8Array(c.maxUnreliableMessageSize + 1))).toThrowError(
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    );
    expect(() => c.send(R, new Uint8Array(4097))).toThrowError(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
    expect(c.send(U, new Uint8Array(c.maxUnreliableMessageSize))).toBe(0);
    const recs = c.flush(0).flatMap((d) => records(d).records);
    expect(recs.map((r) => untext(r[3]))).toContain('kept');
  });

  it('refuses a message when the reliable send queue is full (SEND_QUEUE_FULL)', () => {
    const c = new Connection({ maxMessageSize: 1000, maxSendQueueBytes: 2048 });
    c.send(R, new Uint8Array(1000));
    c.send(R, new Uint8Array(1000));
    expect(() => c.send(R, new Uint8Array(1000))).toThrowError(expect.objectContaining({ code: 'SEND_QUEUE_FULL' }));
    expect(c.channelStats(R).queued).toBe(2);
  });

  it('rejects unknown channels and sends after close', () => {
    const c = new Connection();
    expect(() => c.send(9, text('x'))).toThrowError(expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }));
    expect(() => c.channelStats(16)).toThrowError(expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }));
    c.close();
    expect(() => c.send(R, text('x'))).toThrowError(expect.objectContaining({ code: 'CLOSED' }));
    expect(c.flush(0)).toEqual([]);
  });

  it('validates options with INVALID_OPTION', () => {
    expect(() => new Connection({ mtu: 10 })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => new Connection({ reliableWindow: 100 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(
      () =>
        new Connection({
          channels: [
            { id: 1, mode: 'unreliable' },
            { id: 1, mode: 'reliable-ordered' },
          ],
        }),
    ).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }));
  });

  it('refuses a maxMessageSize that a reliable channel could never queue as fragments (INVALID_OPTION)', () => {
    // 32768 − 2 × 512 units of 1184 bytes at the defaults: about 37.6 MB. A message within
    // maxMessageSize must never meet SEND_QUEUE_FULL on an empty queue.
    const invalid = expect.objectContaining({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('maxMessageSize'),
    });
    expect(() => new Connection({ maxMessageSize: 64 << 20, maxSendQueueBytes: 80 << 20 })).toThrowError(invalid);
    expect(() => new Connection({ mtu: 64, maxMessageSize: 4 << 20, maxSendQueueBytes: 8 << 20 })).toThrowError(
      invalid,
    );
    const largest = 31_744 * 1184;
    const c = new Connection({ maxMessageSize: largest, maxSendQueueBytes: largest + (1 << 20) });
    expect(c.send(R, new Uint8Array(largest))).toBe(0);
  });

  it('refuses a channel id that is not an integer, and a flush headroom outside 0..16, with typed errors', () => {
    const c = new Connection();
    expect(() => c.send(1.5, text('x'))).toThrowError(expect.objectContaining({ code: 'UNKNOWN_CHANNEL' }));
    c.send(R, text('x'));
    for (const headroom of [-1, 17, 1.5, Number.NaN]) {
      expect(() => c.flush(0, headroom)).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
    expect(c.flush(0, 16)).toHaveLength(1); // what was queued is still there
  });

  it('refuses a payload that is not bytes with CODEC_ERROR, on every channel, and keeps what is queued', () => {
    const c = new Connection();
    c.send(R, text('kept'));
    for (const channel of [R, U, S]) {
      for (const bad of ['hi', [1, 2, 300], undefined, null, new ArrayBuffer(4)]) {
        expect(() => c.send(channel, bad as unknown as Uint8Array)).toThrowError(
          expect.objectContaining({ code: 'CODEC_ERROR' }),
        );
      }
    }
    const got: string[] = [];
    const receiver = new Connection({}, { onMessage: (_ch, bytes) => got.push(untext(bytes)) });
    for (const d of c.flush(0)) receiver.receive(d, 0);
    expect(got).toEqual(['kept']);
  });

  it('validates the idle keep-alive intervals with INVALID_OPTION (1 to 600,000 ms)', () => {
    for (const name of ['idleRttProbeInterval', 'idleKeepAliveInterval'] as const) {
      for (const bad of [0, -1, Number.NaN, 600_001]) {
        expect(() => new Connection({ [name]: bad })).toThrowError(
          expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(name) }),
        );
      }
      expect(() => new Connection({ [name]: 600_000 })).not.toThrow();
    }
  });
});

describe('Connection: reliable-ordered', () => {
  it('delivers in order and acks every message on a clean network', () => {
    const p = new ConnectionPair({ latency: 50 });
    let n = 0;
    p.run(2000, () => {
      if (n < 100) p.a.send(R, text(`m${n++}`));
    });
    expect(p.got.b.map((m) => untext(m.payload))).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(p.acked.a.filter(([ch]) => ch === R).map(([, id]) => id)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p.a.stats.messagesResent).toBe(0);
    expect(p.a.stats.rtt).toBeGreaterThanOrEqual(100);
    expect(p.a.stats.rtt).toBeLessThan(100 + 1000 / 60 + 6);
  });

  it('selective resend: dropping exactly packets k..k+2 resends only the messages they carried, in new packets', () => {
    const dropped = new Set([5, 6, 7]);
    const p = new ConnectionPair({
      latency: 50,
      connection: { redundantSends: 0 },
      drop: (from, index) => from === 'a' && dropped.has(index),
    });
    let n = 0;
    p.run(3000, () => {
      if (n < 30) p.a.send(R, text(`m${n++}`));
    });
    expect(p.got.b.map((m) => untext(m.payload))).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
    // Which message each packet carried.
    const carriedBy = new Map<number, number[]>();
    p.wire.a.forEach((d, index) => {
      const { header, records: recs } = records(d);
      if (header.type !== PacketType.Data) return;
      for (const [, seq] of recs) carriedBy.set(seq, [...(carriedBy.get(seq) ?? []), index]);
    });
    const lostMessages = [...carriedBy].filter(([, packets]) => packets.some((i) => dropped.has(i))).map(([s]) => s);
    expect(lostMessages.length).toBe(3);
    for (const [seq, packets] of carriedBy) {
      if (lostMessages.includes(seq)) {
        expect(packets).toHaveLength(2); // the lost send and exactly one resend
        expect(packets[1]!).toBeGreaterThan(7); // in a new packet
      } else {
        expect(packets).toHaveLength(1);
      }
    }
    expect(p.a.stats.messagesResent).toBe(3);
    expect(p.a.stats.packetsLost).toBe(3);
  });

  it('with redundancy, one lost packet costs about one send interval, not one RTT', () => {
    const p = new ConnectionPair({
      latency: 50,
      drop: (from, index) => from === 'a' && index === 10,
    });
    const sentAt: number[] = [];
    let n = 0;
    p.run(2000, (now) => {
      if (n < 30) {
        sentAt.push(now);
        p.a.send(R, text(`m${n++}`));
      }
    });
    expect(p.got.b).toHaveLength(30);
    const worst = Math.max(...p.got.b.map((m, i) => m.at - sentAt[i]!));
    expect(worst).toBeLessThanOrEqual(50 + 1000 / 60 + 1e-6);
    expect(p.a.stats.redundantSends).toBeGreaterThan(0);
  });

  it('fragments a large message and reassembles it under loss', () => {
    const big = new Uint8Array(100_000).map((_, i) => (i * 31) & 0xff);
    const p = new ConnectionPair({ latency: 30, drop: (_f, index) => index % 10 === 3 });
    p.a.send(R, big);
    p.a.send(R, text('after'));
    p.run(5000);
    expect(p.got.b).toHaveLength(2);
    expect(Buffer.compare(p.got.b[0]!.payload, big)).toBe(0);
    expect(untext(p.got.b[1]!.payload)).toBe('after');
    // Acked once, with the id send() returned (first fragment's sequence), then the next message.
    expect(p.acked.a.map(([, id]) => id)).toEqual([0, Math.ceil(100_000 / (1200 - 10 - FRAGMENT_RECORD_HEADER_SIZE))]);
  });

  it('survives message sequence wrap-around (70,000 messages)', () => {
    const p = new ConnectionPair({ latency: 20, tick: 10 });
    let n = 0;
    let nextExpected = 0;
    let ok = true;
    p.b.setHandlers({
      onMessage: (_ch, payload) => {
        const v = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
        if (v !== nextExpected++) ok = false;
      },
    });
    p.run(10_000, () => {
      for (let i = 0; i < 100 && n < 70_000; i++) {
        const m = new Uint8Array(4);
        new DataView(m.buffer).setUint32(0, n++);
        p.a.send(R, m);
      }
    });
    expect(ok).toBe(true);
    expect(nextExpected).toBe(70_000);
  });

  it('a corrupt fragment chain fails the connection with PROTOCOL_VIOLATION', () => {
    const a = new Connection({ redundantSends: 0 });
    const errors: Error[] = [];
    const b = new Connection({}, { onMessage: () => {}, onError: (e) => errors.push(e) });
    a.send(R, new Uint8Array(3000)); // three fragments, one per packet: remaining 2, 1, 0
    const [first, second] = a.flush(0);
    expect(records(first!).records[0]![2]).toBe(2);
    b.receive(first!, 1);
    // Rewrite the second fragment's "remaining" from 1 to 5.
    const bad = second!.slice();
    expect(records(bad).records[0]![2]).toBe(1);
    bad[PACKET_HEADER_SIZE + 4] = 0;
    bad[PACKET_HEADER_SIZE + 5] = 5;
    b.receive(bad, 3);
    expect(b.state).toBe('failed');
    expect(errors[0]).toMatchObject({ code: 'PROTOCOL_VIOLATION' });
  });
});

describe('Connection: unreliable channels', () => {
  it('reports each message acked or lost, never resends', () => {
    const p = new ConnectionPair({ latency: 50, drop: (from, index) => from === 'a' && index === 4 });
    let n = 0;
    const ids: number[] = [];
    p.run(2000, () => {
      if (n++ < 10) ids.push(p.a.send(U, text(`u${n}`)));
    });
    expect(p.got.b).toHaveLength(9);
    const lost = p.lost.a.map(([, id]) => id);
    const acked = p.acked.a.map(([, id]) => id);
    expect(lost).toHaveLength(1);
    expect([...lost, ...acked].sort((x, y) => x - y)).toEqual(ids);
    const carried = p.wire.a.flatMap((d) => records(d).records).filter(([ch]) => ch === U);
    expect(carried).toHaveLength(10); // never resent
  });

  it('drops duplicates, and the sequenced channel drops stale messages', () => {
    const a = new Connection();
    const got: string[] = [];
    const b = new Connection({}, { onMessage: (ch, m) => got.push(`${ch}:${untext(m)}`) });
    const datagrams: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      a.send(U, text(`u${i}`));
      a.send(S, text(`s${i}`));
      datagrams.push(...a.flush(i));
    }
    // Deliver out of order, each twice (the second copy is a duplicate datagram).
    for (const d of [datagrams[2]!, datagrams[0]!, datagrams[1]!, datagrams[2]!]) b.receive(d, 10);
    expect(got).toEqual(['1:u2', '2:s2', '1:u0', '1:u1']);
    expect(b.stats.duplicatePacketsDropped).toBe(1);
    expect(b.channelStats(S).staleDropped).toBe(2);
    // The rarer counters are kept lazily (getters): JSON still writes every counter.
    expect(JSON.parse(JSON.stringify(b.channelStats(S)))).toEqual({
      id: S,
      messagesSent: 0,
      messagesDelivered: 1,
      messagesResent: 0,
      redundantSends: 0,
      messagesAcked: 0,
      messagesLost: 0,
      duplicatesDropped: 0,
      staleDropped: 2,
      queueOverflows: 0,
      queued: 0,
      queuedBytes: 0,
      inFlight: 0,
    });
  });

  it('drops the oldest queued unreliable message past maxUnreliableQueue and reports it lost', () => {
    const lost: number[] = [];
    const c = new Connection({ maxUnreliableQueue: 2 }, { onMessage: () => {}, onLost: (_c, id) => lost.push(id) });
    c.send(U, text('a'));
    c.send(U, text('b'));
    c.send(U, text('c'));
    expect(lost).toEqual([0]);
    expect(c.channelStats(U).queueOverflows).toBe(1);
  });
});

describe('Connection: acks, keep-alives, timeouts', () => {
  it('an idle connection sends keep-alives and still measures RTT', () => {
    const p = new ConnectionPair({ latency: 40 });
    p.run(5000); // a keep-alive every second of silence once idle (idleKeepAliveInterval)
    expect(p.a.stats.rtt).toBeGreaterThanOrEqual(80);
    expect(p.a.stats.rtt).toBeLessThanOrEqual(80 + 1e-6); // keep-alives are acked at once
    expect(p.a.stats.packetsSent).toBeGreaterThan(4);
    expect(p.a.stats.packetsSent).toBeLessThan(30); // keep-alives plus their acks, not a storm
  });

  it('one-way traffic is acked by ack-only packets that are never acked themselves', () => {
    const p = new ConnectionPair({ latency: 10 });
    let n = 0;
    p.run(500, () => {
      if (n++ < 20) p.a.send(R, text('x'));
    });
    const types = p.wire.b.map((d) => records(d).header.type);
    expect(types).toContain(PacketType.Ack);
    expect(p.got.b).toHaveLength(20);
    expect(p.a.channelStats(R).inFlight).toBe(0);
  });

  it('acks every packet once, whichever acks arrive: most lost, late, or naming a late packet', () => {
    // An ack reads only the ack bits that are new since the largest ack. After every ack the
    // packets acked must be exactly those some delivered ack named: nothing skipped that was not
    // read before, and an ack no newer than the largest (it names a packet that came late) read whole.
    let acked = 0;
    let lost = 0;
    const a = new Connection({ ackDelay: 0 }, { onMessage: () => {}, onAcked: () => acked++, onLost: () => lost++ });
    const b = new Connection({ ackDelay: 0 }, { onMessage: () => {} });
    const acks: { datagram: Uint8Array; late: boolean }[] = [];
    const packets = 200;
    let withheld: Uint8Array | undefined;
    for (let seq = 0; seq < packets; seq++) {
      a.send(U, text(`m${seq}`));
      const [datagram] = a.flush(seq);
      if (datagram === undefined) throw new Error('no packet');
      if (seq % 40 === 10) {
        withheld = datagram; // reaches b after the next packet, so b acks it with the same ack again
        continue;
      }
      b.receive(datagram, seq);
      for (const d of b.flush(seq)) acks.push({ datagram: d, late: false });
      if (withheld !== undefined) {
        b.receive(withheld, seq);
        withheld = undefined;
        for (const d of b.flush(seq)) acks.push({ datagram: d, late: true });
      }
    }
    const named = new Set<number>();
    const h: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
    const deliver = (d: Uint8Array): void => {
      expect(readPacketHeader(d, h)).toBe(true);
      named.add(h.ack);
      for (let i = 0; i < 32; i++) if (((h.ackBits >>> i) & 1) === 1 && h.ack - 1 - i >= 0) named.add(h.ack - 1 - i);
      a.receive(d, packets);
      expect(acked).toBe(named.size);
    };
    // Every fifth ack, plus the ack just before each late packet came; and, every other time,
    // the ack after it (the same ack, now with the late packet's bit). Else a later ack's bits
    // are the first to name the late packet, which is older than the largest ack then.
    let lateSeen = 0;
    for (let i = 0; i < acks.length; i++) {
      const late = acks[i]!.late && lateSeen++ % 2 === 0;
      if (i % 5 === 4 || late || acks[i + 1]?.late) deliver(acks[i]!.datagram);
    }
    deliver(acks[acks.length - 1]!.datagram);
    expect(acked).toBe(packets);
    expect(lost).toBe(0);
    // The older acks arrive after all (late duplicates of what was read): nothing is acked twice.
    for (const { datagram } of acks) deliver(datagram);
    expect(a.stats.packetsAcked).toBe(packets);
  });

  it('resends on timeout when every copy is lost, backing off', () => {
    let dropAll = true;
    const p = new ConnectionPair({ latency: 10, drop: (from) => from === 'a' && dropAll });
    p.a.send(R, text('hello'));
    p.run(2000);
    expect(p.got.b).toHaveLength(0);
    expect(p.a.stats.timeouts).toBeGreaterThan(0);
    const resentWhileDown = p.a.stats.messagesResent;
    expect(resentWhileDown).toBeGreaterThan(0);
    expect(resentWhileDown).toBeLessThan(10); // capped exponential backoff, not a resend per tick
    dropAll = false;
    p.run(3000);
    expect(p.got.b.map((m) => untext(m.payload))).toEqual(['hello']);
  });

  it('resendUnacked() sends unacked reliable messages again (session resume on a reliable link)', () => {
    const a = new Connection({ reliableLink: true });
    const got: string[] = [];
    const b = new Connection({ reliableLink: true }, { onMessage: (_c, m) => got.push(untext(m)) });
    a.send(R, text('one'));
    a.send(R, text('two'));
    a.flush(0); // lost with the old socket
    a.send(R, text('three'));
    a.resendUnacked();
    for (const d of a.flush(1)) b.receive(d, 2);
    expect(got).toEqual(['one', 'two', 'three']);
    for (const d of b.flush(52)) a.receive(d, 53); // reliableLinkAckDelay 50 ms
    expect(a.hasPendingData).toBe(false);
  });

  it('a throwing handler is reported to onError and delivery carries on', () => {
    const errors: Error[] = [];
    const got: string[] = [];
    const a = new Connection();
    const b = new Connection(
      {},
      {
        onMessage: (_c, m) => {
          const s = untext(m);
          if (s === 'bad') throw new Error('boom');
          got.push(s);
        },
        onError: (e) => errors.push(e),
      },
    );
    a.send(R, text('bad'));
    a.send(R, text('good'));
    for (const d of a.flush(0)) b.receive(d, 1);
    expect(got).toEqual(['good']);
    expect(errors.map((e) => e.message)).toEqual(['boom']);
    expect(b.stats.handlerErrors).toBe(1);
  });
});

describe('Connection: a full packet window', () => {
  // A peer that stops acking (frozen, or hostile) must not make flush() loop: overwriting the
  // oldest unacked packet would declare it lost, queue its messages again, fill the next packet...
  for (const reliableLink of [true, false]) {
    it(`${reliableLink ? 'reliable' : 'unreliable'} link: sending pauses at packetWindow unacked packets and resumes on acks, nothing lost or duplicated`, () => {
      const a = new Connection({
        reliableLink,
        congestionControl: false,
        packetWindow: 64,
        minRto: 10_000,
        maxRto: 10_000,
      });
      const got: string[] = [];
      const b = new Connection({ reliableLink }, { onMessage: (_c, m) => got.push(untext(m)) });
      const held: Uint8Array[] = [];
      for (let i = 0; i < 100; i++) {
        a.send(R, text(`m${i}`));
        const out = a.flush(i);
        expect(out.length).toBeLessThanOrEqual(1); // bounded work per flush
        held.push(...out);
      }
      expect(held).toHaveLength(64); // the 65th packet waits for an ack
      expect(a.stats.messagesResent).toBe(0);
      expect(a.nextTimeout(100)).toBeGreaterThan(100); // no busy loop while waiting
      // b finally reads everything it was sent and acks it: a sends the rest.
      for (const d of held) b.receive(d, 100);
      for (let t = 101; t < 200 && got.length < 100; t++) {
        for (const d of b.flush(t + 60)) a.receive(d, t);
        for (const d of a.flush(t)) b.receive(d, t);
      }
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    });
  }

  it('an unreliable link without acks frees the window by its resend timeout, one packet at a time', () => {
    const a = new Connection({ congestionControl: false, packetWindow: 64, minRto: 200 });
    for (let i = 0; i < 64; i++) {
      a.send(R, text(`m${i}`));
      a.flush(i);
    }
    a.send(R, text('late'));
    expect(a.flush(64)).toEqual([]);
    const out = a.flush(10_000); // every packet timed out: their messages go again, bounded by the window
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(64);
  });
});
