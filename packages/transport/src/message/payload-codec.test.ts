import { DecodeError } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError, InvalidOptionError, NetplayError, TransportErrorCode } from '../errors.js';
import { DEFAULT_PAYLOAD_LIMITS, PayloadCodec } from './payload-codec.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => Number.parseInt(b, 16));

/** Run `fn`, expect a CodecError, return it. */
function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect(error).toBeInstanceOf(NetplayError);
    expect((error as CodecError).code).toBe(TransportErrorCode.CODEC_ERROR);
    return error as CodecError;
  }
  throw new Error('expected a CodecError, nothing was thrown');
}

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('PayloadCodec round trips', () => {
  const codec = new PayloadCodec();
  const roundTrip = (value: unknown) => codec.decode(codec.encode(value));

  it.each([
    ['nil', null],
    ['true', true],
    ['false', false],
    ['positive fixint', 127],
    ['uint8', 255],
    ['uint16', 65_535],
    ['uint32', 4_294_967_295],
    ['uint64 (safe)', Number.MAX_SAFE_INTEGER],
    ['negative fixint', -32],
    ['int8', -128],
    ['int32', -2_147_483_648],
    ['int64 (safe)', Number.MIN_SAFE_INTEGER],
    ['float', 1.5],
    ['negative float', -1234.5678],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['empty string', ''],
    ['fixstr', 'hello'],
    ['unicode string', 'héllo 世界 🎮'],
    ['str 8/16', 'x'.repeat(300)],
    ['empty array', []],
    ['array', [1, 'a', null, true, 2.5]],
    ['array 16', Array.from({ length: 1000 }, (_, i) => i)],
    ['empty object', {}],
    ['nested objects', { a: { b: { c: [1, { d: 'e' }] } }, list: [[], [{}]], n: -1 }],
    ['map 16', Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]))],
  ])('%s', (_name, value) => {
    expect(roundTrip(value)).toEqual(value);
  });

  it('NaN', () => {
    expect(roundTrip(Number.NaN)).toBeNaN();
  });

  it('undefined becomes null, at the top and inside arrays and maps', () => {
    expect(roundTrip(undefined)).toBeNull();
    expect(roundTrip([undefined])).toEqual([null]);
    expect(roundTrip({ a: undefined })).toEqual({ a: null });
  });

  it('Date, via the msgpack timestamp extension', () => {
    for (const date of [new Date(0), new Date('2024-02-29T12:34:56.789Z'), new Date(-1)]) {
      const back = roundTrip(date);
      expect(back).toBeInstanceOf(Date);
      expect((back as Date).getTime()).toBe(date.getTime());
    }
  });

  it('an own __proto__ key encodes, but the decoder refuses it (prototype pollution)', () => {
    const value = JSON.parse('{"__proto__": 1}');
    codecError(() => codec.decode(codec.encode(value)));
  });

  it('numeric keys come back as strings, as in JSON', () => {
    expect(roundTrip({ 1: 'a' })).toEqual({ '1': 'a' });
  });

  it('any value fast-check can build from JSON-like pieces', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        // A `__proto__` key is refused on decode (tested below); jsonValue can generate one.
        fc.pre(!JSON.stringify(value).includes('"__proto__"'));
        // jsonValue may contain -0, which msgpack encodes as the integer 0.
        expect(roundTrip(value)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('byte arrays', () => {
  const codec = new PayloadCodec();

  it('a Uint8Array encodes as msgpack bin', () => {
    expect(codec.encode(new Uint8Array([1, 2, 3]))).toEqual(hex('c4 03 010203'));
    expect(codec.encode(new Uint8Array(300)).subarray(0, 3)).toEqual(hex('c5 012c'));
  });

  it('decodes as a Uint8Array view into the input, not a copy', () => {
    const input = codec.encode({ data: new Uint8Array([9, 8, 7]) });
    const { data } = codec.decode(input) as { data: Uint8Array };
    expect(data).toBeInstanceOf(Uint8Array);
    expect(data).toEqual(new Uint8Array([9, 8, 7]));
    expect(data.buffer).toBe(input.buffer);
    expect(data.byteOffset).toBe(input.byteOffset + input.length - 3);
    input[input.length - 1] = 42; // the view sees changes to the input
    expect(data[2]).toBe(42);
  });

  it('views into a larger buffer encode only their own bytes', () => {
    const big = Uint8Array.from({ length: 64 }, (_, i) => i);
    const view = big.subarray(10, 14);
    expect(codec.decode(codec.encode(view))).toEqual(new Uint8Array([10, 11, 12, 13]));
  });

  it('other ArrayBufferViews encode their raw bytes and decode as Uint8Array', () => {
    const back = codec.decode(codec.encode(new Uint16Array([0x0102]))) as Uint8Array;
    expect(back).toBeInstanceOf(Uint8Array);
    expect(back.length).toBe(2);
  });

  it('an empty Uint8Array round-trips', () => {
    expect(codec.decode(codec.encode(new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });
});

describe('encode buffers', () => {
  it('encode returns a fresh copy each time', () => {
    const codec = new PayloadCodec({ initialBufferSize: 16 });
    const first = codec.encode('first');
    const second = codec.encode('second');
    expect(first.buffer).not.toBe(second.buffer);
    expect(codec.decode(first)).toBe('first');
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(first.length);
  });

  it('encodeSharedRef returns a view that the next encode overwrites', () => {
    const codec = new PayloadCodec();
    const first = codec.encodeSharedRef('aaaa');
    expect(codec.decode(first)).toBe('aaaa');
    codec.encodeSharedRef('bbbb');
    expect(codec.decode(first)).toBe('bbbb');
  });

  it('the buffer grows past initialBufferSize', () => {
    const codec = new PayloadCodec({ initialBufferSize: 8 });
    const big = 'x'.repeat(10_000);
    expect(codec.decode(codec.encode(big))).toBe(big);
  });
});

describe('encode refuses what it cannot represent faithfully', () => {
  const codec = new PayloadCodec();

  it.each([
    ['bigint', 1n],
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['Map', new Map([['a', 1]])],
    ['Set', new Set([1])],
    ['Map inside an object', { m: new Map() }],
  ])('%s', (_name, value) => {
    codecError(() => codec.encode(value));
    codecError(() => codec.encodeSharedRef(value));
  });

  it('a cycle is stopped by the depth limit, not a stack overflow', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    const error = codecError(() => codec.encode(cycle));
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('values nested deeper than maxDepth (counted with their leaf)', () => {
    const small = new PayloadCodec({ maxDepth: 3 });
    expect(small.decode(small.encode(nested(3)))).toEqual(nested(3));
    codecError(() => small.encode(nested(4)));
  });
});

describe('hostile input always gives CodecError', () => {
  const codec = new PayloadCodec();

  it.each([
    ['empty input', ''],
    ['array 32 claiming 0xffffffff items, no body', 'dd ffffffff'],
    ['map 32 claiming 0xffffffff entries, no body', 'df ffffffff'],
    ['array 16 claiming 3 items, 2 present', 'dc 0003 01 02'],
    ['str 32 claiming 4 GiB', 'db ffffffff 61'],
    ['bin 32 claiming 4 GiB', 'c6 ffffffff 00'],
    ['ext 32 claiming 4 GiB', 'c9 ffffffff 01'],
    ['truncated uint32', 'ce 0000'],
    ['truncated float64', 'cb 3ff0'],
    ['truncated str 16 header', 'da 00'],
    ['fixstr running past the end', 'a5 6869'],
    ['reserved byte 0xc1', 'c1'],
    ['reserved byte inside an array', '92 01 c1'],
    ['trailing bytes', '01 02'],
    ['unknown ext type (fixext 1, type 5)', 'd4 05 00'],
    ['unknown ext type (ext 8, type 0x10)', 'c7 02 10 0000'],
    ['timestamp ext with an invalid length', 'd4 ff 00'],
    ['ext longer than maxExtLength', `c7 20 ff ${'00'.repeat(32)}`],
    ['map key that is an array', '81 90 01'],
    ['map key that is nil', '81 c0 01'],
    ['__proto__ key', '81 a9 5f5f70726f746f5f5f 01'],
  ])('%s', (_name, bytes) => {
    codecError(() => codec.decode(hex(bytes)));
  });

  it('huge claimed lengths fail fast even with the limits raised to the maximum', () => {
    const open = new PayloadCodec({
      maxStrLength: 0xffffffff,
      maxBinLength: 0xffffffff,
      maxArrayLength: 0xffffffff,
      maxMapLength: 0xffffffff,
      maxExtLength: 0xffffffff,
    });
    const start = performance.now();
    for (const bytes of [
      'dd ffffffff',
      'df ffffffff',
      'dd ffffffff c0',
      'db ffffffff',
      'c6 ffffffff',
      'c9 ffffffff 01',
    ]) {
      codecError(() => open.decode(hex(bytes)));
    }
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('100 000 nested arrays: refused quickly, without a stack overflow', () => {
    const bytes = new Uint8Array(100_001).fill(0x91);
    bytes[100_000] = 0xc0;
    const start = performance.now();
    const error = codecError(() => codec.decode(bytes));
    expect(error.message).toMatch(/maxDepth/);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('100 000 nested maps and array-16s: refused the same way', () => {
    const maps = new Uint8Array(200_001);
    for (let i = 0; i < 100_000; i++) maps.set([0x81, 0x00 + (i % 100)], i * 2); // {k: {k: …}}
    maps[200_000] = 0xc0;
    expect(codecError(() => codec.decode(maps)).message).toMatch(/maxDepth/);
    const arrays = new Uint8Array(300_001);
    for (let i = 0; i < 100_000; i++) arrays.set([0xdc, 0x00, 0x01], i * 3);
    arrays[300_000] = 0xc0;
    expect(codecError(() => codec.decode(arrays)).message).toMatch(/maxDepth/);
  });

  it('every truncation of a valid payload', () => {
    const full = codec.encode({
      a: [1, 2.5, 'three', new Uint8Array([4]), { five: null }],
      b: new Date(5),
      c: 'x'.repeat(40),
    });
    for (let length = 0; length < full.length; length++) {
      codecError(() => codec.decode(full.subarray(0, length)));
    }
  });

  it('a raw msgpack error is kept as the cause', () => {
    const tooLong = new PayloadCodec({ maxStrLength: 2 });
    const error = codecError(() => tooLong.decode(hex('a3 616263')));
    expect(error.cause).toBeInstanceOf(DecodeError);
    const trailing = codecError(() => codec.decode(hex('01 02')));
    expect(trailing.cause).toBeInstanceOf(RangeError);
  });

  it('something that is not a Uint8Array', () => {
    codecError(() => codec.decode([1, 2, 3] as unknown as Uint8Array));
    codecError(() => codec.decode(undefined as unknown as Uint8Array));
  });

  it('random bytes: a value or a CodecError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          codec.decode(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('valid payloads with random bytes overwritten: a value or a CodecError', () => {
    const small = new PayloadCodec({ maxDepth: 4, maxArrayLength: 100, maxMapLength: 100 });
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        (value, edits) => {
          const bytes = small.encode(value);
          for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
          try {
            small.decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(CodecError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('limits', () => {
  it('defaults', () => {
    expect(new PayloadCodec().limits).toEqual(DEFAULT_PAYLOAD_LIMITS);
    expect(new PayloadCodec({ maxDepth: 4 }).limits).toEqual({ ...DEFAULT_PAYLOAD_LIMITS, maxDepth: 4 });
  });

  const codec = new PayloadCodec({ maxStrLength: 8, maxBinLength: 8, maxArrayLength: 8, maxMapLength: 8, maxDepth: 3 });
  const map = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

  it.each([
    ['string (UTF-8 bytes)', 'abcdefgh', 'abcdefghi'],
    ['multi-byte string', 'éééé', 'éééée'],
    ['bin', new Uint8Array(8), new Uint8Array(9)],
    ['array', Array(8).fill(0), Array(9).fill(0)],
    ['map', map(8), map(9)],
    ['depth', nested(3), nested(3, [])],
    ['depth with maps', { a: { b: { c: 1 } } }, { a: { b: { c: {} } } }],
  ])('%s: at the limit decodes, one over is refused', (_name, atLimit, overLimit) => {
    expect(codec.decode(codec.encode(atLimit))).toEqual(atLimit);
    // Encode with default limits so the over-limit bytes reach the decoder.
    codecError(() => codec.decode(new PayloadCodec().encode(overLimit)));
  });

  it('maxExtLength', () => {
    const timestamp96 = new PayloadCodec().encode(new Date(Date.UTC(3000, 0, 1, 0, 0, 0, 1))); // ext 8, 12 bytes
    expect(timestamp96[0]).toBe(0xc7);
    expect(new PayloadCodec({ maxExtLength: 12 }).decode(timestamp96)).toBeInstanceOf(Date);
    codecError(() => new PayloadCodec({ maxExtLength: 11 }).decode(timestamp96));
  });

  it.each([
    ['maxStrLength', -1],
    ['maxArrayLength', 1.5],
    ['maxMapLength', Number.NaN],
    ['maxDepth', 0],
    ['initialBufferSize', 0],
  ])('invalid option %s = %s', (name, value) => {
    expect(() => new PayloadCodec({ [name]: value })).toThrow(InvalidOptionError);
  });
});

describe('typed messages', () => {
  const codec = new PayloadCodec();

  it('encode as the msgpack array [type, payload]', () => {
    expect(codec.encodeMessage(1, null)).toEqual(hex('92 01 c0'));
    expect(codec.encodeMessage('hi', 2)).toEqual(hex('92 a2 6869 02'));
  });

  it.each([
    ['string type', 'move', { x: 1, y: -2 }],
    ['integer type', 7, [1, 2, 3]],
    ['negative integer type', -1, 'x'],
    ['empty string type', '', null],
    ['binary payload', 'snap', new Uint8Array([1, 2])],
  ])('%s round-trips', (_name, type, payload) => {
    expect(codec.decodeMessage(codec.encodeMessage(type, payload))).toEqual({ type, payload });
  });

  it('an undefined payload arrives as null', () => {
    expect(codec.decodeMessage(codec.encodeMessage('ping', undefined))).toEqual({ type: 'ping', payload: null });
  });

  it.each([
    ['float', 1.5],
    ['NaN', Number.NaN],
    ['unsafe integer', 2 ** 60],
    ['null', null],
    ['object', {}],
  ])('refuses a %s type on encode', (_name, type) => {
    codecError(() => codec.encodeMessage(type as unknown as string, 1));
  });

  it.each([
    ['a bare value', 'a5 68656c6c6f'],
    ['an empty array', '90'],
    ['a one-element array', '91 01'],
    ['a three-element array', '93 01 02 03'],
    ['a float type', '92 cb 3ff8000000000000 c0'],
    ['a nil type', '92 c0 c0'],
    ['a boolean type', '92 c3 c0'],
    ['an array type', '92 90 c0'],
    ['a map', '82 a1 74 01 a1 70 02'],
    ['invalid msgpack', '92 01'],
  ])('refuses %s on decode', (_name, bytes) => {
    codecError(() => codec.decodeMessage(hex(bytes)));
  });
});
