/**
 * Wire-format conformance: golden bytes for docs/protocol.md. Every hex string here appears in the
 * standard; if one of these tests has to change, the wire format changed and so must the document
 * (and PROTOCOL_VERSION).
 */
import {
  Connection,
  type ConnectionOptions,
  DefaultChannel,
  FRAGMENT_RECORD_HEADER_SIZE,
  MAX_CHANNEL_ID,
  MAX_RECORD_PAYLOAD,
  PACKET_HEADER_SIZE,
  type PacketHeader,
  PacketType,
  PROTOCOL_ID,
  PROTOCOL_VERSION,
  RECORD_HEADER_SIZE,
  type RecordHeader,
  readPacketHeader,
  readRecordHeader,
  writePacketHeader,
  writeRecordHeader,
} from '@netplay/transport';
import { describe, expect, it } from 'vitest';

const R = DefaultChannel.Reliable;
const U = DefaultChannel.Unreliable;
const S = DefaultChannel.Sequenced;

/** `'4e 20 00 01'` → bytes (whitespace ignored). */
function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${s}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

/** bytes → `'4e 20 00 01'`. */
function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

const ascii = (s: string) => new TextEncoder().encode(s);
const newHeader = (): PacketHeader => ({ type: -1, sequence: -1, hasAck: false, ack: -1, ackBits: -1 });
const newRecord = (): RecordHeader => ({
  channel: -1,
  sequence: -1,
  fragmentsRemaining: -2,
  payloadOffset: -1,
  payloadLength: -1,
});

function header(type: number, sequence: number, hasAck: boolean, ack: number, ackBits: number): string {
  const bytes = new Uint8Array(PACKET_HEADER_SIZE);
  writePacketHeader(new DataView(bytes.buffer), type, sequence, hasAck, ack, ackBits);
  return toHex(bytes);
}

function record(channel: number, sequence: number, payload: Uint8Array, fragmentsRemaining = -1): string {
  const size = (fragmentsRemaining < 0 ? RECORD_HEADER_SIZE : FRAGMENT_RECORD_HEADER_SIZE) + payload.length;
  const bytes = new Uint8Array(size);
  const at = writeRecordHeader(bytes, 0, channel, sequence, payload.length, fragmentsRemaining);
  bytes.set(payload, at);
  expect(at + payload.length).toBe(size);
  return toHex(bytes);
}

// ======================================================================= constants

describe('constants', () => {
  it('match the standard', () => {
    expect(PROTOCOL_ID).toBe(0x4e);
    expect(PROTOCOL_VERSION).toBe(1);
    expect(PACKET_HEADER_SIZE).toBe(10);
    expect(RECORD_HEADER_SIZE).toBe(4);
    expect(FRAGMENT_RECORD_HEADER_SIZE).toBe(6);
    expect(MAX_CHANNEL_ID).toBe(15);
    expect(MAX_RECORD_PAYLOAD).toBe(2047);
    expect(PacketType).toEqual({ Data: 0, Ack: 1, KeepAlive: 2 });
  });
});

// ======================================================================= packet header

describe('packet header: golden vectors', () => {
  // [description, type, sequence, hasAck, ack, ackBits, golden hex]
  const vectors: [string, number, number, boolean, number, number, string][] = [
    ['first Data packet, nothing received yet', PacketType.Data, 0, false, 0, 0, '4e 20 00 00 00 00 00 00 00 00'],
    [
      'Data with ack and bits 31 and 0',
      PacketType.Data,
      0x1234,
      true,
      0xabcd,
      0x80000001,
      '4e 30 12 34 ab cd 80 00 00 01',
    ],
    [
      'Ack-only acking 65535 and the 32 before it',
      PacketType.Ack,
      1,
      true,
      0xffff,
      0xffffffff,
      '4e 31 00 01 ff ff ff ff ff ff',
    ],
    [
      'KeepAlive at the last sequence, no ack',
      PacketType.KeepAlive,
      0xffff,
      false,
      0,
      0,
      '4e 22 ff ff 00 00 00 00 00 00',
    ],
    ['KeepAlive acking 3 with 2 missing', PacketType.KeepAlive, 7, true, 3, 0b110, '4e 32 00 07 00 03 00 00 00 06'],
  ];

  for (const [name, type, sequence, hasAck, ack, ackBits, golden] of vectors) {
    it(`encodes: ${name}`, () => {
      expect(header(type, sequence, hasAck, ack, ackBits)).toBe(golden);
    });

    it(`decodes: ${name}`, () => {
      const h = newHeader();
      expect(readPacketHeader(hex(golden), h)).toBe(true);
      expect(h).toEqual({ type, sequence, hasAck, ack: hasAck ? ack : 0, ackBits: hasAck ? ackBits : 0 });
    });
  }

  it('writes zero ack fields when hasAck is false, whatever is passed', () => {
    expect(header(PacketType.Data, 5, false, 0x1234, 0xffffffff)).toBe('4e 20 00 05 00 00 00 00 00 00');
  });

  it('decodes ack bits as an unsigned 32-bit number', () => {
    const h = newHeader();
    expect(readPacketHeader(hex('4e 30 00 00 00 00 ff ff ff fe'), h)).toBe(true);
    expect(h.ackBits).toBe(0xfffffffe);
  });

  it('accepts a Data packet with records after the header (the header reader ignores them)', () => {
    const h = newHeader();
    expect(readPacketHeader(hex('4e 20 00 09 00 00 00 00 00 00 08 01 00 00 75'), h)).toBe(true);
    expect(h.sequence).toBe(9);
  });

  // [description, datagram]
  const invalid: [string, string][] = [
    ['empty', ''],
    ['9 bytes', '4e 20 00 00 00 00 00 00 00'],
    ['protocol id 0x4f', '4f 20 00 00 00 00 00 00 00 00'],
    ['protocol id 0x00', '00 20 00 00 00 00 00 00 00 00'],
    ['version 0', '4e 00 00 00 00 00 00 00 00 00'],
    ['version 2', '4e 40 00 00 00 00 00 00 00 00'],
    ['version 7', '4e e0 00 00 00 00 00 00 00 00'],
    ['type 3', '4e 23 00 00 00 00 00 00 00 00'],
    ['type 7', '4e 27 00 00 00 00 00 00 00 00'],
    ['type 8 (session layer)', '4e 28 00 00 00 00 00 00 00 00'],
    ['type 15 (session layer)', '4e 2f 00 00 00 00 00 00 00 00'],
    ['hasAck = 0 with a nonzero ack', '4e 22 00 00 00 01 00 00 00 00'],
    ['hasAck = 0 with nonzero ack bits', '4e 22 00 00 00 00 00 00 00 01'],
    ['Ack with a body', '4e 31 00 00 00 00 00 00 00 00 00'],
    ['KeepAlive with a body', '4e 22 00 00 00 00 00 00 00 00 00 00 00 00'],
  ];
  for (const [name, golden] of invalid) {
    it(`rejects: ${name}`, () => {
      expect(readPacketHeader(hex(golden), newHeader())).toBe(false);
    });
  }
});

// ======================================================================= message records

describe('message records: golden vectors', () => {
  // [description, channel, sequence, payload, fragmentsRemaining, golden hex]
  const vectors: [string, number, number, Uint8Array, number, string][] = [
    ['whole message, channel 2', 2, 0x0102, hex('aa bb cc'), -1, '10 03 01 02 aa bb cc'],
    ['empty message, channel 1', 1, 0xffff, hex(''), -1, '08 00 ff ff'],
    ['whole message, channel 15, length 2047', 15, 0, new Uint8Array(2047), -1, `7f ff 00 00${' 00'.repeat(2047)}`],
    ['first of three fragments, channel 0', 0, 5, hex('01 02'), 2, '80 02 00 05 00 02 01 02'],
    [
      'last fragment, channel 15, length 0x123',
      15,
      0xfffe,
      new Uint8Array(0x123).fill(0xee),
      0,
      `f9 23 ff fe 00 00${' ee'.repeat(0x123)}`,
    ],
  ];

  for (const [name, channel, sequence, payload, fragmentsRemaining, golden] of vectors) {
    it(`encodes: ${name}`, () => {
      expect(record(channel, sequence, payload, fragmentsRemaining)).toBe(golden);
    });

    it(`decodes: ${name}`, () => {
      const bytes = hex(golden);
      const rec = newRecord();
      expect(readRecordHeader(bytes, 0, rec)).toBe(bytes.length);
      const framing = fragmentsRemaining < 0 ? 4 : 6;
      expect(rec).toEqual({
        channel,
        sequence,
        fragmentsRemaining,
        payloadOffset: framing,
        payloadLength: payload.length,
      });
    });
  }

  it('reads records back to back at an offset', () => {
    const bytes = hex('ff ff  08 01 00 00 75  10 02 00 00 73 73');
    const rec = newRecord();
    expect(readRecordHeader(bytes, 2, rec)).toBe(7);
    expect([rec.channel, rec.payloadOffset, rec.payloadLength]).toEqual([1, 6, 1]);
    expect(readRecordHeader(bytes, 7, rec)).toBe(13);
    expect([rec.channel, rec.payloadOffset, rec.payloadLength]).toEqual([2, 11, 2]);
  });

  // [description, bytes] all returning -1
  const truncated: [string, string][] = [
    ['header cut after 3 bytes', '08 01 00'],
    ['payload one byte short', '00 05 00 00 61 62 63 64'],
    ['fragment header cut after 5 bytes', '80 01 00 00 00'],
    ['fragment payload missing', '80 01 00 00 00 00'],
    ['length 2047 with 2046 bytes', `07 ff 00 00${' 00'.repeat(2046)}`],
  ];
  for (const [name, golden] of truncated) {
    it(`reports a record past the end: ${name}`, () => {
      expect(readRecordHeader(hex(golden), 0, newRecord())).toBe(-1);
    });
  }
});

// ======================================================================= datagrams from Connection

describe('datagrams produced by Connection', () => {
  it('one flush coalesces unreliable channels (in channel order) before new reliable messages', () => {
    const a = new Connection();
    expect(a.send(R, ascii('hi'))).toBe(0);
    expect(a.send(U, ascii('u'))).toBe(0);
    expect(a.send(S, ascii('ss'))).toBe(0);
    expect(a.flush(0).map(toHex)).toEqual([
      '4e 20 00 00 00 00 00 00 00 00 08 01 00 00 75 10 02 00 00 73 73 00 02 00 00 68 69',
    ]);
  });

  it('the receiver answers with an ack-only packet after ackDelay, and the next Data packet carries the ack', () => {
    const a = new Connection();
    const got: string[] = [];
    const b = new Connection({}, { onMessage: (ch, m) => got.push(`${ch}:${new TextDecoder().decode(m)}`) });
    b.receive(hex('4e 20 00 00 00 00 00 00 00 00 08 01 00 00 75 10 02 00 00 73 73 00 02 00 00 68 69'), 0);
    expect(got).toEqual(['1:u', '2:ss', '0:hi']);
    expect(b.flush(4)).toEqual([]); // default ackDelay 5 ms: wait for data to ride on
    const [ack] = b.flush(5).map(toHex);
    expect(ack).toBe('4e 31 00 00 00 00 00 00 00 00');

    // a sends the same packet, gets b's ack, then sends again: the ack of b's packet 0 rides along.
    a.send(R, ascii('hi'));
    a.send(U, ascii('u'));
    a.send(S, ascii('ss'));
    a.flush(0);
    a.receive(hex(ack!), 10);
    expect(a.channelStats(R).inFlight).toBe(0);
    a.send(R, ascii('x'));
    expect(a.flush(10).map(toHex)).toEqual(['4e 30 00 01 00 00 00 00 00 00 00 01 00 01 78']);
  });

  it('acks packets 0, 1 and 3 as ack 3, bits 0b110', () => {
    const a = new Connection();
    const b = new Connection();
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 4; i++) {
      a.send(U, new Uint8Array([i]));
      sent.push(...a.flush(i));
    }
    expect(sent.map(toHex)).toEqual([
      '4e 20 00 00 00 00 00 00 00 00 08 01 00 00 00',
      '4e 20 00 01 00 00 00 00 00 00 08 01 00 01 01',
      '4e 20 00 02 00 00 00 00 00 00 08 01 00 02 02',
      '4e 20 00 03 00 00 00 00 00 00 08 01 00 03 03',
    ]);
    for (const i of [0, 1, 3]) b.receive(sent[i]!, 10);
    expect(b.flush(20).map(toHex)).toEqual(['4e 31 00 00 00 03 00 00 00 06']);
  });

  it('fragments a 60-byte reliable message at MTU 64 into two records counting down to 0', () => {
    const a = new Connection({ mtu: 64 });
    const payload = Uint8Array.from({ length: 60 }, (_, i) => i);
    expect(a.send(R, payload)).toBe(0);
    const first = Array.from({ length: 48 }, (_, i) => i);
    const second = Array.from({ length: 12 }, (_, i) => 48 + i);
    expect(a.flush(0).map(toHex)).toEqual([
      `4e 20 00 00 00 00 00 00 00 00 80 30 00 00 00 01 ${toHex(Uint8Array.from(first))}`,
      `4e 20 00 01 00 00 00 00 00 00 80 0c 00 01 00 00 ${toHex(Uint8Array.from(second))}`,
    ]);
  });

  it('an idle connection sends a header-only KeepAlive after keepAliveInterval, and it is ack-eliciting', () => {
    const a = new Connection();
    const b = new Connection();
    expect(a.flush(0)).toEqual([]);
    expect(a.flush(249)).toEqual([]);
    const [ka] = a.flush(250);
    expect(toHex(ka!)).toBe('4e 22 00 00 00 00 00 00 00 00');
    b.receive(ka!, 260);
    expect(b.flush(265).map(toHex)).toEqual(['4e 31 00 00 00 00 00 00 00 00']);
  });

  it('an ack-only packet is not ack-eliciting', () => {
    const a = new Connection();
    a.send(U, ascii('u'));
    a.flush(0);
    a.receive(hex('4e 31 00 00 00 00 00 00 00 00'), 10); // b acks a's packet 0
    expect(a.stats.packetsReceived).toBe(1);
    expect(a.flush(100)).toEqual([]); // no ack for an ack; keep-alive only at 250
    expect(a.flush(250).map(toHex)).toEqual(['4e 32 00 01 00 00 00 00 00 00']);
  });

  it('the message sequence wraps from 65535 to 0 on the wire', () => {
    const a = new Connection({ maxUnreliableQueue: 1 << 20 });
    for (let i = 0; i < 65535; i++) a.send(U, new Uint8Array(0));
    a.flush(0); // many packets
    a.send(U, ascii('y'));
    a.send(U, ascii('z'));
    const out = a.flush(1);
    expect(out).toHaveLength(1);
    // 65535 empty records of 4 bytes fill 221 packets of 297 records (0x00dd is the next sequence).
    expect(toHex(out[0]!)).toBe('4e 20 00 dd 00 00 00 00 00 00 08 01 ff ff 79 08 01 00 00 7a');
  });
});

// ======================================================================= untrusted input

/** A receiver that has sent one packet (sequence 0), so acks of 0 are valid. */
function receiver(options: ConnectionOptions = {}) {
  const got: string[] = [];
  const errors: Error[] = [];
  const c = new Connection(options, {
    onMessage: (ch, m) => got.push(`${ch}:${toHex(m)}`),
    onError: (e) => errors.push(e),
  });
  c.send(R, ascii('r'));
  expect(c.flush(0)).toHaveLength(1);
  return { c, got, errors };
}

const VALID = '4e 30 00 00 00 00 00 00 00 00 08 01 00 00 61'; // Data 0, acks 0, U message 'a'

describe('validation of received datagrams', () => {
  // [rule, datagram] — each is dropped and counted in invalidPacketsDropped.
  const rejected: [string, string][] = [
    ['empty datagram', ''],
    ['shorter than the header', '4e 30 00 00 00 00 00 00 00'],
    ['wrong protocol id', '4d 30 00 00 00 00 00 00 00 00 08 01 00 00 61'],
    ['wrong version (0)', '4e 10 00 00 00 00 00 00 00 00 08 01 00 00 61'],
    ['wrong version (2)', '4e 50 00 00 00 00 00 00 00 00 08 01 00 00 61'],
    ['unknown type 3', '4e 33 00 00 00 00 00 00 00 00'],
    ['session-layer type 8 reaching the connection', '4e 28 00 00 00 00 00 00 00 00'],
    ['Ack with a body', '4e 31 00 00 00 00 00 00 00 00 08 01 00 00 61'],
    ['KeepAlive with a body', '4e 32 00 00 00 00 00 00 00 00 00'],
    ['hasAck = 0 with a nonzero ack', '4e 20 00 00 00 01 00 00 00 00 08 01 00 00 61'],
    ['hasAck = 0 with nonzero ack bits', '4e 20 00 00 00 00 80 00 00 00 08 01 00 00 61'],
    ['ack of a sequence not yet sent (1; only 0 was sent)', '4e 30 00 00 00 01 00 00 00 00 08 01 00 00 61'],
    ['ack of the sequence half a space ahead (0x8000)', '4e 32 00 00 80 00 00 00 00 00'],
    ['Data with no records', '4e 30 00 00 00 00 00 00 00 00'],
    ['record header past the end', '4e 30 00 00 00 00 00 00 00 00 08 01 00'],
    ['record payload past the end', '4e 30 00 00 00 00 00 00 00 00 08 05 00 00 61 62'],
    ['fragment header past the end', '4e 30 00 00 00 00 00 00 00 00 80 01 00 00 00'],
    ['second record past the end', '4e 30 00 00 00 00 00 00 00 00 08 01 00 00 61 08 02 00 01 62'],
    ['record on an unconfigured channel (9)', '4e 30 00 00 00 00 00 00 00 00 48 01 00 00 61'],
    ['valid record, then one on an unconfigured channel', '4e 30 00 00 00 00 00 00 00 00 08 01 00 00 61 78 00 00 00'],
    ['fragment on an unreliable channel', '4e 30 00 00 00 00 00 00 00 00 88 01 00 00 00 00 61'],
    ['fragment on an unreliable-sequenced channel', '4e 30 00 00 00 00 00 00 00 00 90 01 00 00 00 00 61'],
  ];

  for (const [rule, datagram] of rejected) {
    it(`drops and counts: ${rule}`, () => {
      const { c, got, errors } = receiver();
      expect(() => c.receive(hex(datagram), 5)).not.toThrow();
      expect(c.stats.invalidPacketsDropped).toBe(1);
      expect(c.stats.packetsReceived).toBe(0);
      expect(c.stats.bytesReceived).toBe(0);
      expect(c.stats.lastReceivedAt).toBe(-1);
      expect(got).toEqual([]);
      expect(c.channelStats(R).inFlight).toBe(1); // no ack was processed
      expect(c.state).toBe('open');
      expect(errors).toEqual([]);
      // Nothing was recorded: a valid datagram with the same sequence is new, and acks packet 0.
      c.receive(hex(VALID), 6);
      expect(got).toEqual(['1:61']);
      expect(c.stats.packetsReceived).toBe(1);
      expect(c.stats.invalidPacketsDropped).toBe(1);
      expect(c.channelStats(R).inFlight).toBe(0);
    });
  }

  it('any ack is invalid before this side has sent anything', () => {
    const c = new Connection();
    c.receive(hex('4e 32 00 00 00 00 00 00 00 00'), 0);
    expect(c.stats.invalidPacketsDropped).toBe(1);
    c.receive(hex('4e 22 00 00 00 00 00 00 00 00'), 0);
    expect(c.stats.invalidPacketsDropped).toBe(1);
    expect(c.stats.packetsReceived).toBe(1);
  });

  it('an ack older than the newest sequence sent is not invalid: it acks what it names, if anything', () => {
    const { c } = receiver();
    c.receive(hex('4e 32 00 00 ff ff 7f ff ff ff'), 5); // ack 65535: before anything this side sent
    expect(c.stats.invalidPacketsDropped).toBe(0);
    expect(c.stats.packetsReceived).toBe(1);
    expect(c.channelStats(R).inFlight).toBe(1);
  });

  it('duplicates and stale datagrams are counted apart from invalid ones', () => {
    const c = new Connection({ packetWindow: 64 });
    const data = (seq: number) =>
      hex(`4e 20 ${toHex(new Uint8Array([seq >> 8, seq & 0xff]))} 00 00 00 00 00 00 08 01 00 00 61`);
    c.receive(data(10), 0);
    c.receive(data(10), 0);
    expect(c.stats.duplicatePacketsDropped).toBe(1);
    c.receive(data(100), 0);
    c.receive(data(36), 0); // 64 behind the latest
    expect(c.stats.stalePacketsDropped).toBe(1);
    c.receive(data(37), 0); // 63 behind: a new packet
    expect(c.stats.packetsReceived).toBe(3);
    // Every copy carries unreliable message 0: packets 100 and 37 are new, their message is not.
    expect(c.channelStats(U).messagesDelivered).toBe(1);
    expect(c.channelStats(U).duplicatesDropped).toBe(2);
    expect(c.stats.invalidPacketsDropped).toBe(0);
  });

  it('a corrupt fragment chain is not an invalid datagram but a protocol violation that fails the connection', () => {
    const { c, got, errors } = receiver();
    // Fragment 2-remaining then a whole message on the reliable channel.
    c.receive(hex('4e 20 00 00 00 00 00 00 00 00 80 01 00 00 00 02 61 00 01 00 01 62'), 5);
    expect(c.stats.invalidPacketsDropped).toBe(0);
    expect(c.state).toBe('failed');
    expect(errors[0]).toMatchObject({ code: 'PROTOCOL_VIOLATION' });
    expect(got).toEqual([]);
    c.receive(hex(VALID), 6); // a failed connection ignores everything
    expect(got).toEqual([]);
    expect(c.stats.packetsReceived).toBe(1);
  });

  it('a reassembled message over maxMessageSize is a protocol violation', () => {
    const { c, errors } = receiver({ maxMessageSize: 2 });
    c.receive(hex('4e 20 00 00 00 00 00 00 00 00 80 02 00 00 00 01 61 62 80 01 00 01 00 00 63'), 5);
    expect(c.state).toBe('failed');
    expect(errors[0]!.message).toContain('exceeds 2 bytes');
  });

  it('never throws on mutated and truncated datagrams (seeded fuzz)', () => {
    const seeds = [
      VALID,
      '4e 20 00 00 00 00 00 00 00 00 80 30 00 00 00 01 00 01 02 03 04 05 06 07 08 09 0a',
      '4e 30 00 01 00 00 00 00 00 00 00 01 00 01 78 10 02 00 00 73 73',
      '4e 32 00 07 00 00 00 00 00 00',
    ].map(hex);
    let state = 0x9e3779b9;
    const rand = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 0x100000000;
    };
    let counted = 0;
    let fed = 0;
    let failures = 0;
    let { c } = receiver();
    const total = (x: Connection) => {
      const s = x.stats;
      return s.invalidPacketsDropped + s.packetsReceived + s.duplicatePacketsDropped + s.stalePacketsDropped;
    };
    for (let round = 0; round < 5000; round++) {
      const base = seeds[Math.floor(rand() * seeds.length)]!;
      const d = base.slice(0, Math.floor(rand() * (base.length + 1)));
      const flips = Math.floor(rand() * 4);
      for (let i = 0; i < flips && d.length > 0; i++) d[Math.floor(rand() * d.length)] = Math.floor(rand() * 256);
      expect(() => c.receive(d, round)).not.toThrow();
      fed++;
      if (c.state !== 'open') {
        failures++;
        counted += total(c);
        c = receiver().c;
      }
    }
    counted += total(c);
    // Every datagram is accounted for exactly once.
    expect(counted).toBe(fed);
    expect(failures).toBeLessThan(fed / 10);
  });
});

// ======================================================================= reliable links and resume

describe('reliable links and resume', () => {
  it('on a reliable link nothing is resent or duplicated however long acks take', () => {
    const a = new Connection({ reliableLink: true });
    a.send(R, ascii('r'));
    expect(a.flush(0).map(toHex)).toEqual(['4e 20 00 00 00 00 00 00 00 00 00 01 00 00 72']);
    // No loss detection, no resend, no redundant copies: only keep-alives (RTT probes) while waiting.
    a.send(U, ascii('u'));
    expect(a.flush(10_000).map(toHex)).toEqual([
      '4e 20 00 01 00 00 00 00 00 00 08 01 00 00 75',
      '4e 22 00 02 00 00 00 00 00 00',
    ]);
    expect(a.stats.messagesResent).toBe(0);
    expect(a.stats.redundantSends).toBe(0);
    expect(a.hasPendingData).toBe(true); // still unacked: kept for resume
  });

  it('on a reliable link Data is acked after reliableLinkAckDelay (50 ms), a KeepAlive probe after ackDelay (5 ms)', () => {
    const a = new Connection({ reliableLink: true });
    const b = new Connection({ reliableLink: true });
    a.send(R, ascii('r'));
    b.receive(a.flush(0)[0]!, 0);
    expect(b.nextTimeout(0)).toBe(50);
    expect(b.flush(49)).toEqual([]);
    expect(b.flush(50).map(toHex)).toEqual(['4e 31 00 00 00 00 00 00 00 00']);
    // a sends a probe rttProbeInterval (1000 ms) after its first flush, even with data to send.
    a.send(R, ascii('s'));
    expect(a.nextTimeout(999)).toBe(999);
    expect(a.flush(1000).map(toHex)).toEqual([
      '4e 20 00 01 00 00 00 00 00 00 00 01 00 01 73',
      '4e 22 00 02 00 00 00 00 00 00',
    ]);
    expect(a.flush(1001)).toEqual([]);
  });

  it('on a reliable link the RTT sample comes from the KeepAlive probe, acked at once, not from a delayed Data ack', () => {
    const a = new Connection({ reliableLink: true, keepAliveInterval: 10_000 });
    const b = new Connection({ reliableLink: true, keepAliveInterval: 10_000 });
    a.send(R, ascii('r'));
    b.receive(a.flush(0)[0]!, 10);
    for (const d of b.flush(60)) a.receive(d, 70); // Data acked 50 ms late: no sample
    expect(a.stats.rttMin).toBe(0);
    const [probe] = a.flush(1000);
    b.receive(probe!, 1010);
    expect(b.nextTimeout(1010)).toBe(1010); // the probe's ack leaves in the turn it arrived in
    const acks = b.flush(1010);
    expect(acks.map(toHex)).toEqual(['4e 31 00 01 00 01 00 00 00 01']); // Ack 1 (and 0 in the bits)
    for (const d of acks) a.receive(d, 1020);
    expect(a.stats.rttMin).toBe(20); // the round trip, without any of b's ackDelay (5 ms)
  });

  it('on a reliable link probes every rttProbeInterval, every idleRttProbeInterval once no data flowed for that long', () => {
    const a = new Connection({ reliableLink: true });
    const b = new Connection({ reliableLink: true });
    const types = (ds: Uint8Array[]) => ds.map((d) => d[1]! & 0x0f);
    /** Both sides flush at `now` until neither has anything to send; a's packet types. */
    const exchange = (now: number): number[] => {
      const sentByA: number[] = [];
      for (let round = 0; round < 4; round++) {
        const out = a.flush(now);
        sentByA.push(...types(out));
        for (const d of out) b.receive(d, now);
        const back = b.flush(now);
        for (const d of back) a.receive(d, now);
        if (out.length === 0 && back.length === 0) break;
      }
      return sentByA;
    };
    a.send(R, ascii('r'));
    expect(exchange(0)).toEqual([0]); // Data
    expect(a.nextTimeout(1)).toBe(1000);
    expect(exchange(1000)[0]).toBe(2); // the probe (then the ack of b's own probe)
    expect(a.nextTimeout(1001)).toBe(2000); // data 1 s ago: still the active interval
    expect(exchange(2000)[0]).toBe(2);
    expect(a.nextTimeout(2001)).toBe(5000); // by 3000 no data for 3 s: idle, probes 3 s apart
    expect(exchange(3500)).toEqual([]);
    expect(exchange(5000)[0]).toBe(2);
    expect(a.nextTimeout(5001)).toBe(8000);
    a.send(R, ascii('s')); // play resumes: the overdue probe goes with it
    expect(exchange(6000).slice(0, 2)).toEqual([0, 2]);
    expect(a.nextTimeout(6001)).toBe(7000);
    // Receiving data counts too (a spectator): b's Data keeps a's probes at the active interval.
    expect(exchange(7000)[0]).toBe(2);
    expect(exchange(8000)[0]).toBe(2);
    expect(a.nextTimeout(8001)).toBe(11_000);
    b.send(R, ascii('t'));
    for (const d of b.flush(8500)) a.receive(d, 8500);
    expect(a.nextTimeout(8501)).toBe(8550); // the ack of b's Data (reliableLinkAckDelay)
    expect(exchange(8550)).toEqual([1]);
    expect(a.nextTimeout(8551)).toBe(9000); // then the probe, at the active interval
  });

  it('on an unreliable link sends a KeepAlive after keepAliveInterval of silence, idleKeepAliveInterval once no data flowed for that long', () => {
    const a = new Connection();
    const b = new Connection();
    const types = (ds: Uint8Array[]) => ds.map((d) => d[1]! & 0x0f);
    /** a flushes at `now`; b answers at once; a's packet types. */
    const exchange = (now: number): number[] => {
      const out = a.flush(now);
      for (const d of out) b.receive(d, now);
      for (const d of b.flush(now)) a.receive(d, now);
      return types(out);
    };
    a.send(R, ascii('r'));
    for (const d of a.flush(0)) b.receive(d, 0);
    for (const d of b.flush(5)) a.receive(d, 5); // b's ack
    expect(a.nextTimeout(6)).toBe(250); // 250 ms of silence
    expect(exchange(250)).toEqual([2]); // acked at once by b
    expect(a.nextTimeout(251)).toBe(500); // data 250 ms ago: still the active interval
    expect(exchange(500)).toEqual([2]);
    expect(exchange(750)).toEqual([2]);
    expect(a.nextTimeout(751)).toBe(1750); // by 1000 no data for 1 s: idle, a second of silence
    expect(exchange(1500)).toEqual([]);
    expect(exchange(1750)).toEqual([2]);
    a.send(R, ascii('s'));
    expect(exchange(2000)).toEqual([0]); // b, active again, answers with its own KeepAlive
    expect(exchange(2001)).toEqual([1]); // acked at once
    expect(a.nextTimeout(2002)).toBe(2251); // active again: 250 ms of silence
  });

  it('never probes more often while idle than while active (idleRttProbeInterval below rttProbeInterval)', () => {
    const a = new Connection({ reliableLink: true, rttProbeInterval: 5000, idleRttProbeInterval: 2000 });
    a.flush(0);
    expect(a.nextTimeout(1)).toBe(5000);
  });

  it('a flood of KeepAlives in one turn gets one ack back, not one each', () => {
    const a = new Connection({ keepAliveInterval: 1, idleKeepAliveInterval: 1 });
    const b = new Connection();
    let flood = 0;
    for (let t = 1; t <= 200; t++) {
      for (const d of a.flush(t)) {
        b.receive(d, 1000); // all of them in one turn of b's
        flood++;
      }
    }
    expect(flood).toBeGreaterThanOrEqual(199); // a KeepAlive per ms of a's silence
    expect(b.stats.packetsReceived).toBe(flood);
    const answer = b.flush(1000);
    expect(answer.map((d) => d[1]! & 0x0f)).toEqual([1]); // one Ack (its 32 bits name the last ones)
    expect(b.flush(1000)).toEqual([]);
  });

  it('acks a KeepAlive at once on an unreliable link too, and a Data packet within ackDelay', () => {
    const a = new Connection({ keepAliveInterval: 100 });
    const b = new Connection();
    a.send(R, ascii('r'));
    b.receive(a.flush(0)[0]!, 10);
    expect(b.nextTimeout(10)).toBe(15);
    for (const d of b.flush(15)) a.receive(d, 25);
    const [keepAlive] = a.flush(125);
    expect(keepAlive![1]! & 0x0f).toBe(2); // KeepAlive
    b.receive(keepAlive!, 135);
    expect(b.nextTimeout(135)).toBe(135);
  });

  it('resendUnacked() puts every unacked reliable message in new packets; the peer drops the copies it had', () => {
    const a = new Connection({ reliableLink: true });
    const got: string[] = [];
    const b = new Connection({ reliableLink: true }, { onMessage: (_c, m) => got.push(toHex(m)) });
    a.send(R, ascii('a'));
    const [p0] = a.flush(0);
    b.receive(p0!, 1); // delivered, but b's ack is lost with the old socket
    a.send(R, ascii('b'));
    a.flush(2); // lost with the old socket
    a.resendUnacked();
    const resent = a.flush(3);
    expect(resent.map(toHex)).toEqual(['4e 20 00 02 00 00 00 00 00 00 00 01 00 00 61 00 01 00 01 62']);
    b.receive(resent[0]!, 4);
    expect(got).toEqual(['61', '62']);
    expect(b.channelStats(R).duplicatesDropped).toBe(1);
  });
});
