/**
 * The client's role in our RFC 6455 framing: masked frame headers (golden bytes), masking, masked
 * close frames, and the parser in the client role (a server's frames are unmasked; a masked one
 * is a 1002 violation).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientFrame, concatBytes, type FrameEvent, RecordingSink, serverFrame } from '../../test/ws-client-frames.js';
import {
  encodeCloseFrame,
  FRAME_VIOLATIONS,
  frameHeaderSize,
  MAX_CLOSE_REASON_BYTES,
  maskBytes,
  WsOpcode,
  writeFrameHeader,
} from './ws-frame.js';
import { FrameParser, type FrameParserLimits } from './ws-frame-parser.js';

const { CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG } = WsOpcode;
const CLIENT: FrameParserLimits = { role: 'client', maxPayload: 1 << 20, maxMessageSize: 1 << 20 };
/** The masking key of the RFC 6455 §5.7 examples. */
const KEY = 0x37fa213d;

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytesOf = (length: number, seed = 1): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
const binary = (data: Uint8Array | number[]): FrameEvent => ({ type: 'binary', data: [...data] });

function parse(chunks: readonly Uint8Array[], limits: FrameParserLimits = CLIENT): RecordingSink {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, limits);
  for (const chunk of chunks) parser.push(chunk.slice());
  return sink;
}

/** A whole client frame as the link builds it: header with the key, then the payload masked in place. */
function maskedFrame(opcode: number, payload: Uint8Array, key: number): Uint8Array {
  const header = frameHeaderSize(payload.length, true);
  const frame = new Uint8Array(header + payload.length);
  expect(writeFrameHeader(frame, 0, opcode, payload.length, key)).toBe(header);
  frame.set(payload, header);
  maskBytes(frame, header, payload.length, key);
  return frame;
}

describe('masked frame headers (what a client sends)', () => {
  it('writes 6, 8 and 14 byte headers at the length boundaries, the key last (golden bytes)', () => {
    const cases: [number, string][] = [
      [0, '828037fa213d'],
      [125, '82fd37fa213d'],
      [126, '82fe007e37fa213d'],
      [65_535, '82feffff37fa213d'],
      [65_536, '82ff000000000001000037fa213d'],
    ];
    for (const [length, golden] of cases) {
      const header = new Uint8Array(14);
      const size = writeFrameHeader(header, 0, BINARY, length, KEY);
      expect(size).toBe(frameHeaderSize(length, true));
      expect(size).toBe(frameHeaderSize(length) + 4);
      expect(hex(header.subarray(0, size))).toBe(golden);
    }
    // A key with the top bit set, given as a signed 32-bit integer (what an Int32Array holds).
    const signed = new Uint8Array(6);
    writeFrameHeader(signed, 0, PONG, 1, 0xdeadbeef | 0);
    expect(hex(signed)).toBe('8a81deadbeef');
    expect(() => writeFrameHeader(new Uint8Array(7), 0, BINARY, 126, KEY)).toThrow(RangeError);
  });

  it('produces the RFC 6455 §5.7 masked "Hello" sample', () => {
    const hello = new TextEncoder().encode('Hello');
    expect(hex(maskedFrame(TEXT, hello, KEY))).toBe('818537fa213d7f9f4d5158');
    expect(hex(maskedFrame(BINARY, hello, KEY))).toBe(hex(clientFrame(BINARY, hello)));
  });

  it('masks and unmasks in place, whatever the phase a payload is cut at', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer(), fc.nat(300), (data, key, cut) => {
        const at = Math.min(cut, data.length);
        const bytes = data.slice();
        maskBytes(bytes, 0, bytes.length, key);
        const expected = data.map((b, i) => b ^ ((key >>> (24 - 8 * (i & 3))) & 0xff));
        expect([...bytes]).toEqual([...expected]);
        // Unmasked in two pieces, the second starting at phase `at`.
        maskBytes(bytes, 0, at, key, 0);
        maskBytes(bytes, at, bytes.length - at, key, at);
        expect([...bytes]).toEqual([...data]);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('encodes masked close frames: code, reason cut to 123 bytes, or empty', () => {
    expect(hex(encodeCloseFrame(undefined, '', KEY))).toBe('888037fa213d');
    const bye = encodeCloseFrame(1000, 'bye', KEY);
    expect(hex(bye.subarray(0, 6))).toBe('888537fa213d');
    expect(parse([bye], { ...CLIENT, role: 'server' }).events).toEqual([{ type: 'close', code: 1000, reason: 'bye' }]);
    const long = encodeCloseFrame(4000, 'é'.repeat(100), KEY);
    expect(long.length).toBe(6 + 2 + 122);
    expect(parse([long], { ...CLIENT, role: 'server' }).events).toEqual([
      { type: 'close', code: 4000, reason: 'é'.repeat(61) },
    ]);
    expect(long.length - 6 - 2).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
  });
});

describe('FrameParser in the client role (parsing a server)', () => {
  it('reads unmasked frames of every kind, split at every byte', () => {
    const stream = concatBytes([
      serverFrame(BINARY, bytesOf(5)),
      serverFrame(BINARY, bytesOf(130), { fin: false }),
      serverFrame(PING, bytesOf(3)),
      serverFrame(CONTINUATION, bytesOf(7)),
      serverFrame(PONG, [1]),
      serverFrame(TEXT, bytesOf(4)),
      serverFrame(BINARY, bytesOf(300), { lengthBits: 64 }),
      serverFrame(BINARY, []),
      serverFrame(CLOSE, [0x03, 0xe8, 0x62, 0x79, 0x65]),
    ]);
    const expected: FrameEvent[] = [
      binary(bytesOf(5)),
      { type: 'ping', data: [...bytesOf(3)] },
      binary([...bytesOf(130), ...bytesOf(7)]),
      { type: 'dropped', reason: 'text' },
      binary(bytesOf(300)),
      binary([]),
      { type: 'close', code: 1000, reason: 'bye' },
    ];
    expect(parse([stream]).events).toEqual(expected);
    for (let at = 0; at <= stream.length; at++) {
      expect(parse([stream.subarray(0, at), stream.subarray(at)]).events).toEqual(expected);
    }
    expect(parse(Array.from(stream, (byte) => Uint8Array.of(byte))).events).toEqual(expected);
    // A 64-bit length (over 64 KiB), cut in places.
    const big = serverFrame(BINARY, bytesOf(70_000));
    for (const at of [1, 2, 9, 10, 11, 65_536, big.length - 1]) {
      const sink = parse([big.subarray(0, at), big.subarray(at)]);
      expect(sink.messages.length).toBe(1);
      expect(Buffer.from(sink.messages[0]!).equals(Buffer.from(bytesOf(70_000)))).toBe(true);
    }
  });

  it('delivers a view into the chunk when a whole message lies in it', () => {
    const chunk = concatBytes([serverFrame(BINARY, bytesOf(40)), serverFrame(BINARY, bytesOf(300, 2))]);
    const sink = new RecordingSink();
    new FrameParser(sink, CLIENT).push(chunk);
    expect(sink.events).toEqual([binary(bytesOf(40)), binary(bytesOf(300, 2))]);
    for (const message of sink.messages) expect(message.buffer).toBe(chunk.buffer);
  });

  it('fails on a masked frame from the server with 1002, and reports nothing after it', () => {
    const violation: FrameEvent = { type: 'violation', kind: 'MASKED_FRAME', closeCode: 1002 };
    expect(FRAME_VIOLATIONS.MASKED_FRAME.closeCode).toBe(1002);
    for (const masked of [clientFrame(BINARY, [1, 2]), clientFrame(PING, []), clientFrame(CLOSE, [3, 232])]) {
      const events = parse([concatBytes([serverFrame(BINARY, [7]), masked, serverFrame(BINARY, [8])])]).events;
      expect(events).toEqual([binary([7]), violation]);
    }
    // The server role still refuses the opposite.
    expect(parse([serverFrame(BINARY, [1])], { ...CLIENT, role: 'server' }).events).toEqual([
      { type: 'violation', kind: 'UNMASKED_FRAME', closeCode: 1002 },
    ]);
  });

  it('keeps the other checks: maxPayload, control frame rules, close codes', () => {
    const limits = { ...CLIENT, maxPayload: 100, maxMessageSize: 50 };
    const kinds = (bytes: Uint8Array) =>
      parse([bytes], limits).events.map((e) => (e.type === 'violation' ? e.kind : e.type));
    expect(kinds(serverFrame(BINARY, bytesOf(101)))).toEqual(['MESSAGE_TOO_BIG']);
    expect(kinds(serverFrame(BINARY, bytesOf(60)))).toEqual(['dropped']);
    expect(kinds(serverFrame(PING, bytesOf(126)))).toEqual(['CONTROL_TOO_LONG']);
    expect(kinds(serverFrame(CLOSE, [0x03, 0xed]))).toEqual(['INVALID_CLOSE_CODE']); // 1005
    expect(kinds(serverFrame(BINARY, [1], { rsv: 0x40 }))).toEqual(['RSV_SET']);
  });

  it('lets a parser lent between links switch roles on reset', () => {
    const sink = new RecordingSink();
    const parser = new FrameParser(sink, CLIENT);
    parser.push(serverFrame(BINARY, [1]));
    expect(parser.betweenFrames).toBe(true);
    parser.reset(sink, { ...CLIENT, role: 'server' });
    parser.push(clientFrame(BINARY, [2]));
    parser.reset(sink, CLIENT);
    parser.push(serverFrame(BINARY, [3]));
    expect(sink.events).toEqual([binary([1]), binary([2]), binary([3])]);
  });
});
