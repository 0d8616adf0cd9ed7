/**
 * Session-layer conformance: golden bytes of the handshake packets and room-protocol messages, as
 * printed in docs/protocol.md (sections 9 and 10). If one of these has to change, the session wire
 * format changed and so must the document.
 */
import {
  type ClientMessage,
  decodeClientMessage,
  decodeHandshake,
  decodeServerMessage,
  encodeClientMessage,
  encodeHandshake,
  encodeRelayedPrefix,
  encodeRelayedRaw,
  encodeServerMessage,
  HANDSHAKE_PADDED_SIZE,
  type HandshakePacket,
  HandshakeType,
  isHandshakePacket,
  Op,
  PayloadCodec,
  type ServerMessage,
  scanRelay,
} from '@netplay/transport';
import { describe, expect, it } from 'vitest';

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const cookie = Uint8Array.from({ length: 16 }, (_, i) => i);
const COOKIE_HEX = '00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f';

describe('handshake packets: golden vectors', () => {
  const vectors: [string, HandshakePacket, string][] = [
    ['Connect, no token', { type: HandshakeType.Connect, body: {} }, '4e 28 00 03 92 c0 c0'],
    ['Connect with seat "s1"', { type: HandshakeType.Connect, body: { seat: 's1' } }, '4e 28 00 05 92 a2 73 31 c0'],
    [
      'Challenge with a 16-byte cookie',
      { type: HandshakeType.Challenge, cookie },
      `4e 29 00 13 91 c4 10 ${COOKIE_HEX}`,
    ],
    [
      'Response, resume "r1", cookie',
      { type: HandshakeType.Response, cookie, body: { resume: 'r1' } },
      `4e 2a 00 17 93 c0 a2 72 31 c4 10 ${COOKIE_HEX}`,
    ],
    ['Accept, new session', { type: HandshakeType.Accept, resumed: false }, '4e 2b 00 02 91 c2'],
    ['Accept, resumed', { type: HandshakeType.Accept, resumed: true }, '4e 2b 00 02 91 c3'],
    [
      'Deny ROOM_FULL "full"',
      { type: HandshakeType.Deny, code: 'ROOM_FULL', message: 'full' },
      '4e 2c 00 10 92 a9 52 4f 4f 4d 5f 46 55 4c 4c a4 66 75 6c 6c',
    ],
    [
      'Disconnect 4000 "shutdown"',
      { type: HandshakeType.Disconnect, code: 4000, reason: 'shutdown' },
      '4e 2d 00 0d 92 cd 0f a0 a8 73 68 75 74 64 6f 77 6e',
    ],
  ];
  for (const [name, packet, golden] of vectors) {
    it(`encodes and decodes: ${name}`, () => {
      expect(toHex(encodeHandshake(packet))).toBe(golden);
      expect(isHandshakePacket(hex(golden))).toBe(true);
      expect(decodeHandshake(hex(golden))).toEqual(packet);
    });
  }

  it('pads a UDP Connect with zeros to 320 bytes; the padding is ignored on decode', () => {
    expect(HANDSHAKE_PADDED_SIZE).toBe(320);
    const padded = encodeHandshake({ type: HandshakeType.Connect, body: {} }, HANDSHAKE_PADDED_SIZE);
    expect(padded.length).toBe(320);
    expect(toHex(padded.subarray(0, 7))).toBe('4e 28 00 03 92 c0 c0');
    expect(padded.subarray(7).every((b) => b === 0)).toBe(true);
    expect(decodeHandshake(padded)).toEqual({ type: HandshakeType.Connect, body: {} });
    // The Challenge a server sends back (16-byte cookie) is far smaller than the padded request.
    expect(encodeHandshake({ type: HandshakeType.Challenge, cookie }).length).toBe(23);
  });

  it('rejects a body length running past the datagram, hasAck set, or a type outside 8–13', () => {
    expect(decodeHandshake(hex('4e 2b 00 03 91 c2'))).toBeUndefined(); // length 3, 2 bytes follow
    expect(isHandshakePacket(hex('4e 3b 00 02 91 c2'))).toBe(false); // hasAck bit
    expect(isHandshakePacket(hex('4e 2e 00 02 91 c2'))).toBe(false); // type 14
    expect(isHandshakePacket(hex('4e 27 00 02 91 c2'))).toBe(false); // type 7
    expect(isHandshakePacket(hex('4e 4b 00 02 91 c2'))).toBe(false); // version 2
  });
});

describe('room protocol: golden vectors', () => {
  const codec = new PayloadCodec();
  const client: [ClientMessage, string][] = [
    [
      { op: Op.Join, requestId: 7, method: 'joinOrCreate', room: 'lobby', options: {} },
      '95 01 07 ac 6a 6f 69 6e 4f 72 43 72 65 61 74 65 a5 6c 6f 62 62 79 80',
    ],
    [{ op: Op.List, requestId: 8, room: 'lobby' }, '93 02 08 a5 6c 6f 62 62 79'],
    [{ op: Op.Message, type: 'move', payload: { x: 1 } }, '93 03 a4 6d 6f 76 65 81 a1 78 01'],
    [{ op: Op.Message, type: 1, payload: [1, 2] }, '93 03 01 92 01 02'],
    [{ op: Op.Relay, payload: 'hi', target: 'others' }, '93 04 a2 68 69 a6 6f 74 68 65 72 73'],
    [{ op: Op.Leave }, '91 05'],
  ];
  for (const [m, golden] of client) {
    it(`client → server op ${m.op}: ${golden}`, () => {
      expect(toHex(encodeClientMessage(codec, m))).toBe(golden);
      expect(decodeClientMessage(codec, hex(golden))).toEqual(m);
    });
  }

  const server: [ServerMessage, string][] = [
    [
      {
        op: Op.Joined,
        requestId: 7,
        info: { roomId: 'r', roomName: 'lobby', sessionId: 'ab', resumeToken: 't', peers: [], reconnectGrace: 20 },
      },
      '93 10 07 86 a6 72 6f 6f 6d 49 64 a1 72 a8 72 6f 6f 6d 4e 61 6d 65 a5 6c 6f 62 62 79 a9 73 65 73 73 69 6f 6e 49 64 a2 61 62 ab 72 65 73 75 6d 65 54 6f 6b 65 6e a1 74 a5 70 65 65 72 73 90 ae 72 65 63 6f 6e 6e 65 63 74 47 72 61 63 65 14',
    ],
    [
      { op: Op.RequestError, requestId: 7, code: 'ROOM_FULL', message: 'full' },
      '94 11 07 a9 52 4f 4f 4d 5f 46 55 4c 4c a4 66 75 6c 6c',
    ],
    [{ op: Op.RoomList, requestId: 8, rooms: [] }, '93 12 08 90'],
    [{ op: Op.Relayed, from: 'ab', payload: 'hi' }, '93 13 a2 61 62 a2 68 69'],
    [{ op: Op.PeerJoin, sessionId: 'ab' }, '92 14 a2 61 62'],
    [{ op: Op.PeerLeave, sessionId: 'ab' }, '92 15 a2 61 62'],
    [
      { op: Op.Error, code: 'RATE_LIMITED', message: 'slow' },
      '93 16 ac 52 41 54 45 5f 4c 49 4d 49 54 45 44 a4 73 6c 6f 77',
    ],
    [{ op: Op.Left, code: 4001, reason: 'kicked' }, '93 17 cd 0f a1 a6 6b 69 63 6b 65 64'],
    [
      { op: Op.Redirect, requestId: 7, url: 'ws://h:9001', seat: 't' },
      '94 18 07 ab 77 73 3a 2f 2f 68 3a 39 30 30 31 a1 74',
    ],
  ];
  for (const [m, golden] of server) {
    it(`server → client op ${m.op}: ${golden.slice(0, 20)}…`, () => {
      expect(toHex(encodeServerMessage(codec, m))).toBe(golden);
      expect(decodeServerMessage(codec, hex(golden))).toEqual(m);
    });
  }

  it('refuses unknown ops with CODEC_ERROR', () => {
    expect(() => decodeClientMessage(codec, hex('91 10'))).toThrowError(
      expect.objectContaining({ code: 'CODEC_ERROR' }),
    );
    expect(() => decodeServerMessage(codec, hex('91 05'))).toThrowError(
      expect.objectContaining({ code: 'CODEC_ERROR' }),
    );
  });
});

// ======================================================================= relay splice

describe('relay splice: the server forwards a relay payload as bytes', () => {
  const codec = new PayloadCodec();
  const splice = (from: string, clientBytes: Uint8Array): Uint8Array | undefined => {
    const m = scanRelay(codec, clientBytes);
    if (m === undefined || m.op !== Op.Relay || m.payloadBytes === undefined) return undefined;
    return encodeRelayedRaw(encodeRelayedPrefix(from), m.payloadBytes);
  };

  it('golden: [4, "hi", "others"] from "ab" becomes 93 13 a2 61 62 a2 68 69', () => {
    expect(toHex(splice('ab', hex('93 04 a2 68 69 a6 6f 74 68 65 72 73'))!)).toBe('93 13 a2 61 62 a2 68 69');
    expect(toHex(splice('ab', hex('92 04 81 a1 78 01'))!)).toBe('93 13 a2 61 62 81 a1 78 01'); // no target
    expect(toHex(splice('ab', hex('93 04 c0 a3 61 6c 6c'))!)).toBe('93 13 a2 61 62 c0'); // nil payload, "all"
  });

  const payloads: unknown[] = [
    null,
    0,
    -1,
    2 ** 40,
    -(2 ** 40),
    1.5,
    Number.MAX_VALUE,
    true,
    'x'.repeat(31),
    'é'.repeat(40),
    'y'.repeat(300),
    'z'.repeat(65_000),
    { t: 1764000000000.123, s: 7, x: 1.25, y: -3.5, a: 0.1 },
    [1, [2, [3, [4, []]]], {}],
    { nested: { deeper: { list: [true, false, null, 'ok'] } }, 7: 'numeric key' },
    new Uint8Array([1, 2, 3, 255]),
    new Uint8Array(300),
    new Date(1_700_000_000_123),
    new Date(-1),
    Array.from({ length: 20 }, (_, i) => i * 1000),
  ];
  const senders = ['ab', 'x'.repeat(31), 'y'.repeat(32), `session-${'z'.repeat(300)}`, 'ünï'];
  for (const [i, payload] of payloads.entries()) {
    for (const target of ['others', 'all'] as const) {
      it(`payload ${i} (${target}): spliced bytes equal encodeServerMessage, for every sender id`, () => {
        const clientBytes = encodeClientMessage(codec, { op: Op.Relay, payload, target });
        const scanned = scanRelay(codec, clientBytes);
        expect(scanned).toBeDefined();
        const decoded = decodeClientMessage(codec, clientBytes);
        expect(scanned!.op).toBe(Op.Relay);
        if (scanned!.op !== Op.Relay || decoded.op !== Op.Relay) return;
        expect(scanned!.target).toBe(target);
        expect(scanned!.payload).toEqual(decoded.payload); // decoded lazily, same value
        for (const from of senders) {
          expect(toHex(splice(from, clientBytes)!)).toBe(
            toHex(encodeServerMessage(codec, { op: Op.Relayed, from, payload: decoded.payload })),
          );
        }
      });
    }
  }

  it('leaves list targets, other ops and anything invalid to decodeClientMessage', () => {
    const small = new PayloadCodec({ maxDepth: 3, maxStrLength: 8, maxArrayLength: 4, maxMapLength: 2 });
    const cases: [string, string][] = [
      ['list target', '93 04 01 91 a2 61 62'],
      ['Message op', '93 03 01 02'],
      ['Leave', '91 05'],
      ['truncated payload', '92 04 a5 68 69'],
      ['trailing byte', '92 04 01 01'],
      ['too deep (depth 4 with the outer array)', '92 04 91 91 91 01'],
      ['string over maxStrLength', '92 04 a9 61 61 61 61 61 61 61 61 61'],
      ['array over maxArrayLength', '92 04 95 01 01 01 01 01'],
      ['map over maxMapLength', '92 04 83 01 01 02 02 03 03'],
      ['__proto__ key', '92 04 81 a9 5f 5f 70 72 6f 74 6f 5f 5f 01'],
      ['__proto__ key as str 8', '92 04 81 d9 09 5f 5f 70 72 6f 74 6f 5f 5f 01'],
      ['array as a map key', '92 04 81 90 01'],
      ['nil as a map key', '92 04 81 c0 01'],
      ['unknown extension', '92 04 d4 05 01'],
      ['timestamp of a bad size', '92 04 d5 ff 00 00'],
      ['reserved byte', '92 04 c1'],
      ['bad target', '93 04 01 a1 78'],
      ['extra element that is invalid', '94 04 01 c0 c1'],
    ];
    for (const [what, bytes] of cases) {
      expect(scanRelay(small, hex(bytes)), what).toBeUndefined();
    }
    // Where the fast path said no, the full decoder either refuses or decodes (list target, other ops).
    expect(() => decodeClientMessage(small, hex('92 04 91 91 91 01'))).toThrow();
    expect(() => decodeClientMessage(small, hex('92 04 81 a9 5f 5f 70 72 6f 74 6f 5f 5f 01'))).toThrow();
    expect(decodeClientMessage(small, hex('93 04 01 91 a2 61 62'))).toEqual({
      op: Op.Relay,
      payload: 1,
      target: ['ab'],
    });
  });

  it('never accepts what decodeClientMessage refuses (mutated relays)', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const small = new PayloadCodec({
      maxDepth: 4,
      maxStrLength: 16,
      maxArrayLength: 8,
      maxMapLength: 4,
      maxBinLength: 8,
    });
    const seeds = [
      { a: [1, 2, { b: 'str' }], c: new Uint8Array([1, 2]), d: 1.5 },
      [[[1]], 'x', new Date(5)],
      { k: null, 1: true },
    ].map((p) => encodeClientMessage(codec, { op: Op.Relay, payload: p, target: 'others' }));
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const base = seeds[rand(seeds.length)]!;
      const bytes = Uint8Array.from(base);
      for (let k = 1 + rand(3); k > 0; k--) bytes[1 + rand(bytes.length - 1)] = rand(256);
      const cut = rand(4) === 0 ? bytes.subarray(0, 1 + rand(bytes.length)) : bytes;
      const scanned = scanRelay(small, cut);
      if (scanned === undefined) continue;
      accepted++;
      const decoded = decodeClientMessage(small, cut); // must not throw
      expect(decoded.op).toBe(Op.Relay);
      if (decoded.op !== Op.Relay || scanned.op !== Op.Relay) continue;
      expect(scanned.target).toEqual(decoded.target);
      expect(scanned.payload).toEqual(decoded.payload);
    }
    expect(accepted).toBeGreaterThan(100);
  });
});
