import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientClose, clientFrame, concatBytes, type FrameEvent, RecordingSink } from '../../test/ws-client-frames.js';
import {
  encodeCloseFrame,
  FRAME_VIOLATIONS,
  frameHeaderSize,
  isValidCloseCode,
  MAX_CLOSE_REASON_BYTES,
  WsOpcode,
  writeFrameHeader,
} from './ws-frame.js';
import { FrameParser, type FrameParserLimits } from './ws-frame-parser.js';

const { CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG } = WsOpcode;
const LIMITS: FrameParserLimits = { maxPayload: 1 << 20, maxMessageSize: 1 << 20 };

function parse(chunks: readonly Uint8Array[], limits: FrameParserLimits = LIMITS): RecordingSink {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, limits);
  // Each chunk is a fresh copy: the parser unmasks in place and owns what it is given.
  for (const chunk of chunks) parser.push(chunk.slice());
  return sink;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (length: number, seed = 1): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
const binary = (data: Uint8Array | number[]): FrameEvent => ({ type: 'binary', data: [...data] });

describe('writeFrameHeader (server frames, never masked)', () => {
  it('writes 2, 4 and 10 byte headers at the length boundaries (golden bytes)', () => {
    const cases: [number, string][] = [
      [0, '8200'],
      [125, '827d'],
      [126, '827e007e'],
      [65_535, '827effff'],
      [65_536, '827f0000000000010000'],
      [2 ** 32 + 5, '827f0000000100000005'],
    ];
    for (const [length, golden] of cases) {
      const header = new Uint8Array(10);
      const size = writeFrameHeader(header, 0, BINARY, length);
      expect(size).toBe(frameHeaderSize(length));
      expect(hex(header.subarray(0, size))).toBe(golden);
    }
    const pong = new Uint8Array(4);
    expect(writeFrameHeader(pong, 2, PONG, 5)).toBe(2);
    expect(hex(pong)).toBe('00008a05');
  });

  it('refuses a bad length or a target that is too short', () => {
    expect(() => writeFrameHeader(new Uint8Array(10), 0, BINARY, -1)).toThrow(RangeError);
    expect(() => writeFrameHeader(new Uint8Array(10), 0, BINARY, 1.5)).toThrow(RangeError);
    expect(() => writeFrameHeader(new Uint8Array(3), 0, BINARY, 126)).toThrow(RangeError);
  });
});

describe('encodeCloseFrame', () => {
  it('writes the code and reason, or an empty payload', () => {
    expect(hex(encodeCloseFrame())).toBe('8800');
    expect(hex(encodeCloseFrame(1000, 'bye'))).toBe(`880503e8${Buffer.from('bye').toString('hex')}`);
    expect(hex(encodeCloseFrame(1009))).toBe('880203f1');
  });

  it('cuts the reason to 123 UTF-8 bytes on a character boundary', () => {
    const ascii = encodeCloseFrame(1000, 'x'.repeat(200));
    expect(ascii.length).toBe(2 + 2 + MAX_CLOSE_REASON_BYTES);
    const accented = encodeCloseFrame(1000, 'é'.repeat(100)); // 2 bytes each: 61 fit in 123
    expect(accented[1]).toBe(2 + 122);
    expect(new TextDecoder('utf-8', { fatal: true }).decode(accented.subarray(4))).toBe('é'.repeat(61));
    const emoji = encodeCloseFrame(1000, `${'a'.repeat(121)}😀`); // 4-byte character would end at 125
    expect(new TextDecoder().decode(emoji.subarray(4))).toBe('a'.repeat(121));
  });

  it('knows the valid close codes', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
      expect(isValidCloseCode(code)).toBe(true);
    }
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65_535])
      expect(isValidCloseCode(code)).toBe(false);
  });
});

describe('FrameParser: messages', () => {
  it('reads the RFC 6455 §5.7 masked "Hello" as binary, drops it as text, answers it as ping', () => {
    const maskedHello = [0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    const hello = [...new TextEncoder().encode('Hello')];
    expect(parse([Uint8Array.from([0x82, ...maskedHello])]).events).toEqual([binary(hello)]);
    expect(parse([Uint8Array.from([0x81, ...maskedHello])]).events).toEqual([{ type: 'dropped', reason: 'text' }]);
    expect(parse([Uint8Array.from([0x89, ...maskedHello])]).events).toEqual([{ type: 'ping', data: hello }]);
    expect(parse([Uint8Array.from([0x8a, ...maskedHello])]).events).toEqual([]); // pong: ignored
    expect(hex(clientFrame(BINARY, hello))).toBe(`82${Buffer.from(maskedHello).toString('hex')}`);
  });

  it('reads 7-, 16- and 64-bit lengths (also a short payload in a long encoding)', () => {
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 70_000]) {
      const data = bytesOf(length);
      expect(parse([clientFrame(BINARY, data)]).events).toEqual([binary(data)]);
    }
    expect(parse([clientFrame(BINARY, [1, 2], { lengthBits: 64 })]).events).toEqual([binary([1, 2])]);
    expect(parse([clientFrame(BINARY, [3], { lengthBits: 16 })]).events).toEqual([binary([3])]);
  });

  it('delivers a view into the chunk when a whole message lies in it, and a copy otherwise', () => {
    const frames = Array.from({ length: 100 }, (_, i) => clientFrame(BINARY, bytesOf(1 + (i % 200), i)));
    const chunk = concatBytes(frames);
    const sink = new RecordingSink();
    new FrameParser(sink, LIMITS).push(chunk);
    expect(sink.events).toEqual(Array.from({ length: 100 }, (_, i) => binary(bytesOf(1 + (i % 200), i))));
    for (const message of sink.messages) expect(message.buffer).toBe(chunk.buffer);

    const split = clientFrame(BINARY, bytesOf(50));
    const first = split.slice(0, 20);
    const second = split.slice(20);
    const sinkSplit = new RecordingSink();
    const parser = new FrameParser(sinkSplit, LIMITS);
    parser.push(first);
    parser.push(second);
    expect(sinkSplit.events).toEqual([binary(bytesOf(50))]);
    expect(sinkSplit.messages[0]!.buffer).not.toBe(first.buffer);
    expect(sinkSplit.messages[0]!.buffer).not.toBe(second.buffer);
    expect(sinkSplit.messages[0]!.byteLength).toBe(sinkSplit.messages[0]!.buffer.byteLength); // exactly sized
  });

  it('reassembles fragmented messages with control frames in between', () => {
    const stream = concatBytes([
      clientFrame(BINARY, [1, 2], { fin: false, mask: [1, 2, 3, 4] }),
      clientFrame(PING, [9, 9], { mask: [5, 6, 7, 8] }),
      clientFrame(CONTINUATION, [], { fin: false }),
      clientFrame(CONTINUATION, [3, 4, 5], { fin: false, mask: [0, 0, 0, 0] }),
      clientFrame(PONG, [7]),
      clientFrame(CONTINUATION, bytesOf(300), { fin: true, mask: [0xff, 0x80, 0x01, 0x7f] }),
      clientFrame(TEXT, [0x61], { fin: false }),
      clientFrame(PING, []),
      clientFrame(CONTINUATION, [0x62]),
      clientFrame(BINARY, [42]),
    ]);
    expect(parse([stream]).events).toEqual([
      { type: 'ping', data: [9, 9] },
      binary([1, 2, 3, 4, 5, ...bytesOf(300)]),
      { type: 'ping', data: [] },
      { type: 'dropped', reason: 'text' },
      binary([42]),
    ]);
  });

  it('gives the same events for a stream split at every byte boundary, and fed byte by byte', () => {
    const stream = concatBytes([
      clientFrame(BINARY, bytesOf(5)),
      clientFrame(BINARY, bytesOf(130), { fin: false }),
      clientFrame(PING, bytesOf(3)),
      clientFrame(CONTINUATION, bytesOf(7)),
      clientFrame(TEXT, bytesOf(4)),
      clientFrame(BINARY, bytesOf(0)),
      clientFrame(BINARY, bytesOf(20), { lengthBits: 64 }),
      clientClose(1000, 'done'),
    ]);
    const expected = parse([stream]).events;
    expect(expected).toEqual([
      binary(bytesOf(5)),
      { type: 'ping', data: [...bytesOf(3)] },
      binary([...bytesOf(130), ...bytesOf(7)]),
      { type: 'dropped', reason: 'text' },
      binary([]),
      binary(bytesOf(20)),
      { type: 'close', code: 1000, reason: 'done' },
    ]);
    for (let at = 0; at <= stream.length; at++) {
      expect(parse([stream.subarray(0, at), stream.subarray(at)]).events).toEqual(expected);
    }
    expect(parse(Array.from(stream, (byte) => Uint8Array.of(byte))).events).toEqual(expected);
  });

  it('drops text and binary messages over maxMessageSize without buffering them, and counts nothing else', () => {
    const limits = { maxPayload: 1000, maxMessageSize: 100 };
    const events = parse(
      [
        concatBytes([
          clientFrame(TEXT, bytesOf(500)),
          clientFrame(BINARY, bytesOf(101)),
          clientFrame(BINARY, bytesOf(100)),
          clientFrame(BINARY, bytesOf(60), { fin: false }),
          clientFrame(CONTINUATION, bytesOf(60)), // the sum is over the limit
          clientFrame(BINARY, [1]),
        ]),
      ],
      limits,
    ).events;
    expect(events).toEqual([
      { type: 'dropped', reason: 'text' },
      { type: 'dropped', reason: 'oversize' },
      binary(bytesOf(100)),
      { type: 'dropped', reason: 'oversize' },
      binary([1]),
    ]);
  });

  it('reports a close frame (code 1005 without payload) and stops', () => {
    expect(parse([concatBytes([clientClose(), clientFrame(BINARY, [1])])]).events).toEqual([
      { type: 'close', code: 1005, reason: '' },
    ]);
    expect(parse([concatBytes([clientClose(4000, 'game over ✓'), clientFrame(BINARY, [1])])]).events).toEqual([
      { type: 'close', code: 4000, reason: 'game over ✓' },
    ]);
  });

  it('ignores everything after stop(), also when the sink stops it in the middle of a chunk', () => {
    class StoppingSink extends RecordingSink {
      override onBinary(message: Uint8Array): void {
        super.onBinary(message);
        parser.stop();
      }
    }
    const sink = new StoppingSink();
    const parser = new FrameParser(sink, LIMITS);
    parser.push(concatBytes([clientFrame(BINARY, [1]), clientFrame(BINARY, [2])]));
    expect(sink.events).toEqual([binary([1])]);
    expect(parser.stopped).toBe(true);
    parser.push(clientFrame(BINARY, [3]));
    expect(sink.events).toEqual([binary([1])]);
  });
});

describe('FrameParser: protocol violations', () => {
  const violation = (kind: keyof typeof FRAME_VIOLATIONS): FrameEvent => ({
    type: 'violation',
    kind,
    closeCode: FRAME_VIOLATIONS[kind].closeCode,
  });
  const cases: [string, Uint8Array, FrameEvent, FrameParserLimits?][] = [
    ['unmasked frame', clientFrame(BINARY, [1], { mask: null }), violation('UNMASKED_FRAME')],
    ['RSV1', clientFrame(BINARY, [1], { rsv: 0x40 }), violation('RSV_SET')],
    ['RSV2', clientFrame(BINARY, [1], { rsv: 0x20 }), violation('RSV_SET')],
    ['RSV3', clientFrame(PING, [], { rsv: 0x10 }), violation('RSV_SET')],
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode): [string, Uint8Array, FrameEvent] => [
      `opcode ${opcode}`,
      clientFrame(opcode, []),
      violation('UNKNOWN_OPCODE'),
    ]),
    ['ping over 125 bytes', clientFrame(PING, bytesOf(126)), violation('CONTROL_TOO_LONG')],
    ['close over 125 bytes', clientFrame(CLOSE, bytesOf(126)), violation('CONTROL_TOO_LONG')],
    ['pong with a 64-bit length', clientFrame(PONG, [1], { lengthBits: 64 }), violation('CONTROL_TOO_LONG')],
    ['fragmented ping', clientFrame(PING, [1], { fin: false }), violation('CONTROL_FRAGMENTED')],
    ['fragmented close', clientFrame(CLOSE, [3, 232], { fin: false }), violation('CONTROL_FRAGMENTED')],
    ['continuation first', clientFrame(CONTINUATION, [1]), violation('UNEXPECTED_CONTINUATION')],
    [
      'continuation after a finished message',
      concatBytes([clientFrame(BINARY, [1]), clientFrame(CONTINUATION, [2])]),
      violation('UNEXPECTED_CONTINUATION'),
    ],
    [
      'new binary message inside a fragmented one',
      concatBytes([clientFrame(BINARY, [1], { fin: false }), clientFrame(BINARY, [2])]),
      violation('UNFINISHED_MESSAGE'),
    ],
    [
      'new text message inside a fragmented one',
      concatBytes([clientFrame(TEXT, [1], { fin: false }), clientFrame(TEXT, [2])]),
      violation('UNFINISHED_MESSAGE'),
    ],
    [
      '64-bit length with the top bit set',
      Uint8Array.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4]),
      violation('LENGTH_TOP_BIT'),
    ],
    [
      'a frame over maxPayload',
      clientFrame(BINARY, bytesOf(101)),
      violation('MESSAGE_TOO_BIG'),
      { maxPayload: 100, maxMessageSize: 100 },
    ],
    [
      'a text frame over maxPayload',
      clientFrame(TEXT, bytesOf(101)),
      violation('MESSAGE_TOO_BIG'),
      { maxPayload: 100, maxMessageSize: 50 },
    ],
    [
      'fragments summing over maxPayload',
      concatBytes([clientFrame(BINARY, bytesOf(60), { fin: false }), clientFrame(CONTINUATION, bytesOf(41))]),
      violation('MESSAGE_TOO_BIG'),
      { maxPayload: 100, maxMessageSize: 100 },
    ],
    ['close with a 1-byte payload', clientFrame(CLOSE, [3]), violation('CLOSE_PAYLOAD_ONE_BYTE')],
    ...[0, 999, 1004, 1005, 1006, 1015, 2999, 5000].map((code): [string, Uint8Array, FrameEvent] => [
      `close code ${code}`,
      clientClose(code),
      violation('INVALID_CLOSE_CODE'),
    ]),
    ['close reason not UTF-8', clientClose(1000, Uint8Array.of(0x61, 0xff)), violation('INVALID_CLOSE_REASON')],
    ['close reason truncated UTF-8', clientClose(1000, Uint8Array.of(0xe2, 0x9c)), violation('INVALID_CLOSE_REASON')],
  ];

  it.each(cases)('%s → its close code, then nothing more', (_name, bytes, expected, limits) => {
    const after = clientFrame(BINARY, [0xaa]);
    const events = parse([concatBytes([bytes, after])], limits).events;
    expect(events.at(-1)).toEqual(expected);
    expect(events.filter((e) => e.type !== 'binary')).toEqual([expected]);
    expect(events).not.toContainEqual(binary([0xaa])); // nothing after the violation
    // Split anywhere, the same.
    for (let at = 1; at < bytes.length; at++) {
      expect(parse([bytes.subarray(0, at), bytes.subarray(at), after], limits).events).toEqual(events);
    }
  });

  it('maps every violation to 1002, except an oversize message (1009) and a bad close reason (1007)', () => {
    for (const v of Object.values(FRAME_VIOLATIONS)) {
      const code = v.kind === 'MESSAGE_TOO_BIG' ? 1009 : v.kind === 'INVALID_CLOSE_REASON' ? 1007 : 1002;
      expect(v.closeCode, v.kind).toBe(code);
    }
  });

  it('enforces maxPayload on the header, before a byte of the payload arrives', () => {
    const header = clientFrame(BINARY, [], { declaredLength: 2 ** 40 }); // declares 1 TiB, sends the header only
    expect(parse([header]).events).toEqual([violation('MESSAGE_TOO_BIG')]);
    const limits = { maxPayload: 100, maxMessageSize: 100 };
    const first = clientFrame(BINARY, bytesOf(100), { fin: false });
    const secondHeader = clientFrame(CONTINUATION, [], { declaredLength: 1 });
    expect(parse([first, secondHeader], limits).events).toEqual([violation('MESSAGE_TOO_BIG')]);
  });
});

describe('FrameParser: properties', () => {
  type Piece =
    | { kind: 'message'; opcode: number; fragments: Uint8Array[] }
    | { kind: 'control'; opcode: number; payload: Uint8Array };
  const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
  const mask = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
  const control = fc.record({
    kind: fc.constant('control' as const),
    opcode: fc.constantFrom(PING, PONG),
    payload: bytes(125),
  });
  const message = fc.record({
    kind: fc.constant('message' as const),
    opcode: fc.constantFrom(BINARY, BINARY, BINARY, TEXT),
    fragments: fc.array(bytes(400), { minLength: 1, maxLength: 4 }),
  });
  const stream = fc.tuple(
    fc.array(fc.oneof(message, control), { maxLength: 12 }),
    fc.array(mask, { minLength: 1, maxLength: 4 }),
  );
  const cuts = fc.array(fc.nat(), { maxLength: 20 });

  /** Frames of a stream (control frames after the first fragment of a message) and the events they must give. */
  function build(
    pieces: Piece[],
    masks: [number, number, number, number][],
  ): { wire: Uint8Array; expected: FrameEvent[] } {
    const frames: Uint8Array[] = [];
    const expected: FrameEvent[] = [];
    let m = 0;
    const nextMask = () => masks[m++ % masks.length]!;
    for (const piece of pieces) {
      if (piece.kind === 'control') {
        frames.push(clientFrame(piece.opcode, piece.payload, { mask: nextMask() }));
        if (piece.opcode === PING) expected.push({ type: 'ping', data: [...piece.payload] });
        continue;
      }
      piece.fragments.forEach((fragment, i) => {
        const last = i === piece.fragments.length - 1;
        frames.push(clientFrame(i === 0 ? piece.opcode : CONTINUATION, fragment, { fin: last, mask: nextMask() }));
        if (i === 0 && !last) frames.push(clientFrame(PING, [i], { mask: nextMask() }));
      });
      if (piece.fragments.length > 1) expected.push({ type: 'ping', data: [0] });
      expected.push(piece.opcode === TEXT ? { type: 'dropped', reason: 'text' } : binary(concatBytes(piece.fragments)));
    }
    return { wire: concatBytes(frames), expected };
  }

  function chop(wire: Uint8Array, at: number[]): Uint8Array[] {
    const points = [...new Set(at.map((n) => n % (wire.length + 1)))].sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const point of [...points, wire.length]) {
      chunks.push(wire.subarray(from, point));
      from = point;
    }
    return chunks;
  }

  it('any chunking of a valid frame stream yields the same messages', () => {
    fc.assert(
      fc.property(stream, cuts, ([pieces, masks], at) => {
        const { wire, expected } = build(pieces, masks);
        expect(parse(chop(wire, at)).events).toEqual(expected);
      }),
      { numRuns: 300, seed: 6455 },
    );
  });

  it('random bytes never throw, and nothing is reported after a close or a violation', () => {
    const limits = { maxPayload: 4096, maxMessageSize: 1024 };
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), (chunks) => {
        const events = parse(chunks, limits).events;
        const last = events.findIndex((e) => e.type === 'close' || e.type === 'violation');
        expect(last === -1 || last === events.length - 1).toBe(true);
      }),
      { numRuns: 500, seed: 1 },
    );
  });
});
