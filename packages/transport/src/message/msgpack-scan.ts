/**
 * A bounded structural pre-scan of msgpack bytes, run before `@msgpack/msgpack` decodes them.
 *
 * The msgpack decoder checks string, bin, array, map and ext lengths but not nesting depth (its
 * decode loop is iterative, so depth cannot overflow it, but 100 000 nested arrays would reach the
 * game's own recursive code), and it allocates `new Array(n)` for an array header before it has
 * seen a single element. This scan walks the headers only (string, bin and ext bodies are skipped
 * by length), keeps a stack of at most `maxDepth` counters, and rejects:
 * - nesting deeper than `maxDepth` containers;
 * - an array or map that claims more elements than there are bytes left (each needs at least one);
 * - a string, bin or ext body that runs past the end, and any truncated header;
 * - the reserved type byte `0xc1`.
 *
 * Cost: one read per msgpack item, no allocation after construction. It is a pure function of the
 * bytes and never throws anything but {@link CodecError}.
 * @module
 */
import { CodecError } from '../errors.js';
import type { PayloadLimits } from './payload-codec.js';

/**
 * Reusable scanner. Holds one counter stack sized to `maxDepth`, so a scanner must not be shared
 * between concurrent scans (scans are synchronous, so one per codec is enough).
 */
export class MsgpackScanner {
  readonly maxDepth: number;
  /** remaining[d] = items still expected in the container open at depth d (d = 0 is the top level). */
  private readonly remaining: Int32Array;

  constructor(maxDepth: number) {
    this.maxDepth = maxDepth;
    this.remaining = new Int32Array(maxDepth + 1);
  }

  /**
   * Check that `bytes` holds one complete msgpack value within the depth limit; any bytes after it
   * are left for the decoder to reject.
   * @throws {@link CodecError} naming the first problem and its byte offset.
   */
  scan(bytes: Uint8Array): void {
    const end = bytes.length;
    const remaining = this.remaining;
    const maxDepth = this.maxDepth;
    let pos = 0;
    let depth = 0;
    remaining[0] = 1;

    while (true) {
      if (pos >= end) throw truncated(pos);
      const head = bytes[pos]!;
      // Per item: `header` bytes of header, `body` bytes skipped, `count` child items (0 if scalar).
      let header = 1;
      let body = 0;
      let count = 0;
      let container = false;

      if (head <= 0x7f || head >= 0xe0) {
        // positive / negative fixint
      } else if (head <= 0x8f) {
        container = true;
        count = (head - 0x80) * 2; // fixmap
      } else if (head <= 0x9f) {
        container = true;
        count = head - 0x90; // fixarray
      } else if (head <= 0xbf) {
        body = head - 0xa0; // fixstr
      } else {
        switch (head) {
          case 0xc0: // nil
          case 0xc2: // false
          case 0xc3: // true
            break;
          case 0xc1:
            throw new CodecError(`reserved type byte 0xc1 at offset ${pos}`);
          case 0xc4: // bin 8
          case 0xd9: // str 8
            header = 2;
            body = lengthAt(bytes, pos, 1);
            break;
          case 0xc5: // bin 16
          case 0xda: // str 16
            header = 3;
            body = lengthAt(bytes, pos, 2);
            break;
          case 0xc6: // bin 32
          case 0xdb: // str 32
            header = 5;
            body = lengthAt(bytes, pos, 4);
            break;
          case 0xc7: // ext 8: length, type, data
            header = 3;
            body = lengthAt(bytes, pos, 1);
            break;
          case 0xc8: // ext 16
            header = 4;
            body = lengthAt(bytes, pos, 2);
            break;
          case 0xc9: // ext 32
            header = 6;
            body = lengthAt(bytes, pos, 4);
            break;
          case 0xca: // float 32
            header = 5;
            break;
          case 0xcb: // float 64
            header = 9;
            break;
          case 0xcc: // uint 8
          case 0xd0: // int 8
            header = 2;
            break;
          case 0xcd: // uint 16
          case 0xd1: // int 16
            header = 3;
            break;
          case 0xce: // uint 32
          case 0xd2: // int 32
            header = 5;
            break;
          case 0xcf: // uint 64
          case 0xd3: // int 64
            header = 9;
            break;
          case 0xd4: // fixext 1, 2, 4, 8, 16: type byte + data
            header = 3;
            break;
          case 0xd5:
            header = 4;
            break;
          case 0xd6:
            header = 6;
            break;
          case 0xd7:
            header = 10;
            break;
          case 0xd8:
            header = 18;
            break;
          case 0xdc: // array 16
            header = 3;
            container = true;
            count = lengthAt(bytes, pos, 2);
            break;
          case 0xdd: // array 32
            header = 5;
            container = true;
            count = lengthAt(bytes, pos, 4);
            break;
          case 0xde: // map 16
            header = 3;
            container = true;
            count = lengthAt(bytes, pos, 2) * 2;
            break;
          default: // 0xdf map 32
            header = 5;
            container = true;
            count = lengthAt(bytes, pos, 4) * 2;
            break;
        }
      }

      pos += header;
      if (pos > end) throw truncated(pos);
      if (body > end - pos) {
        throw new CodecError(`a ${body}-byte body at offset ${pos} runs past the end (${end - pos} bytes left)`);
      }
      pos += body;
      remaining[depth]!--;

      if (container) {
        if (depth >= maxDepth) {
          throw new CodecError(`nesting deeper than maxDepth (${maxDepth}) at offset ${pos - header}`);
        }
        if (count > end - pos) {
          throw new CodecError(
            `a container at offset ${pos - header} claims ${count} items but ${end - pos} bytes are left`,
          );
        }
        if (count > 0) remaining[++depth] = count;
      }

      while (remaining[depth] === 0) {
        if (depth === 0) return;
        depth--;
      }
    }
  }
}

function truncated(pos: number): CodecError {
  return new CodecError(`truncated input at offset ${pos}`);
}

/** Big-endian unsigned length in the `size` bytes right after the type byte at `pos`. */
function lengthAt(bytes: Uint8Array, pos: number, size: 1 | 2 | 4): number {
  if (pos + size >= bytes.length) throw truncated(bytes.length);
  const p = pos + 1;
  if (size === 1) return bytes[p]!;
  if (size === 2) return (bytes[p]! << 8) | bytes[p + 1]!;
  return bytes[p]! * 0x1000000 + ((bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!);
}

/** msgpack ext type of the timestamp extension, the only one a codec decodes. */
const EXT_TIMESTAMP_TYPE = 0xff;
/** `__proto__` in UTF-8: a map key the decoder refuses. */
const PROTO_KEY = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f];

/** `true` when the string whose type byte `k` is at `pos` is `__proto__` (in any string form). */
function isProtoKey(bytes: Uint8Array, pos: number, k: number): boolean {
  const header = k <= 0xbf ? 1 : k === 0xd9 ? 2 : k === 0xda ? 3 : 5;
  // A truncated length throws the same error the value's own skip would.
  const length = header === 1 ? k - 0xa0 : lengthAt(bytes, pos, (header - 1) as 1 | 2 | 4);
  if (length !== PROTO_KEY.length) return false;
  for (let j = 0; j < length; j++) if (bytes[pos + header + j] !== PROTO_KEY[j]) return false;
  return true;
}

/**
 * Check, without decoding, that one msgpack value starts at `pos` of `bytes` and would decode under
 * `limits` exactly as a {@link PayloadCodec} decodes it (lengths, nesting, map keys that are strings
 * or numbers and not `__proto__`, no extension but a well-sized timestamp); `depth` is the number of
 * containers the value is nested in. Returns the offset just past the value.
 * Lets a relay forward a payload's bytes unchanged instead of decoding and re-encoding it.
 * @throws {@link CodecError} naming the first problem.
 */
export function skipValidValue(bytes: Uint8Array, pos: number, limits: PayloadLimits, depth: number): number {
  const end = bytes.length;
  if (pos >= end) throw truncated(pos);
  const head = bytes[pos]!;
  let header = 1;
  let body = 0;
  let count = 0;
  let isMap = false;
  let container = false;
  let limit = Number.POSITIVE_INFINITY;
  let what = '';
  if (head <= 0x7f || head >= 0xe0) return pos + 1;
  if (head <= 0x8f) {
    container = true;
    isMap = true;
    count = head - 0x80;
  } else if (head <= 0x9f) {
    container = true;
    count = head - 0x90;
  } else if (head <= 0xbf) {
    body = head - 0xa0;
    limit = limits.maxStrLength;
    what = 'string';
  } else {
    switch (head) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return pos + 1;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        header = head === 0xc4 ? 2 : head === 0xc5 ? 3 : 5;
        body = lengthAt(bytes, pos, (header - 1) as 1 | 2 | 4);
        limit = limits.maxBinLength;
        what = 'bin';
        break;
      case 0xd9:
      case 0xda:
      case 0xdb:
        header = head === 0xd9 ? 2 : head === 0xda ? 3 : 5;
        body = lengthAt(bytes, pos, (header - 1) as 1 | 2 | 4);
        limit = limits.maxStrLength;
        what = 'string';
        break;
      case 0xca:
        header = 5;
        break;
      case 0xcb:
        header = 9;
        break;
      case 0xcc:
      case 0xd0:
        header = 2;
        break;
      case 0xcd:
      case 0xd1:
        header = 3;
        break;
      case 0xce:
      case 0xd2:
        header = 5;
        break;
      case 0xcf:
      case 0xd3:
        header = 9;
        break;
      case 0xd6: // fixext 4, 8 and ext 8 with 12 bytes: the timestamp's three forms
      case 0xd7:
      case 0xc7: {
        const size = head === 0xd6 ? 4 : head === 0xd7 ? 8 : lengthAt(bytes, pos, 1);
        header = head === 0xc7 ? 3 : 2;
        if (pos + header > end) throw truncated(end);
        if (bytes[pos + header - 1] !== EXT_TIMESTAMP_TYPE || (size !== 4 && size !== 8 && size !== 12)) {
          throw new CodecError(`unsupported msgpack extension at offset ${pos}`);
        }
        if (size > limits.maxExtLength) throw new CodecError(`ext of ${size} bytes exceeds maxExtLength`);
        body = size;
        break;
      }
      case 0xdc:
      case 0xdd:
        header = head === 0xdc ? 3 : 5;
        container = true;
        count = lengthAt(bytes, pos, (header - 1) as 2 | 4);
        break;
      case 0xde:
      case 0xdf:
        header = head === 0xde ? 3 : 5;
        container = true;
        isMap = true;
        count = lengthAt(bytes, pos, (header - 1) as 2 | 4);
        break;
      default: // 0xc1 and the other ext forms
        throw new CodecError(`unsupported msgpack type byte 0x${head.toString(16)} at offset ${pos}`);
    }
  }
  pos += header;
  if (pos > end) throw truncated(end);
  if (!container) {
    if (body > limit) throw new CodecError(`a ${what} of ${body} bytes exceeds the limit (${limit})`);
    if (body > end - pos) throw new CodecError(`a ${body}-byte body at offset ${pos} runs past the end`);
    return pos + body;
  }
  if (depth + 1 > limits.maxDepth) throw new CodecError(`nesting deeper than maxDepth (${limits.maxDepth})`);
  if (count > (isMap ? limits.maxMapLength : limits.maxArrayLength)) {
    throw new CodecError(`a ${isMap ? 'map' : 'array'} of ${count} entries exceeds the limit`);
  }
  if ((isMap ? count * 2 : count) > end - pos) throw new CodecError(`a container at offset ${pos} runs past the end`);
  for (let i = 0; i < count; i++) {
    if (isMap) {
      const k = bytes[pos]!;
      const isStr = (k >= 0xa0 && k <= 0xbf) || (k >= 0xd9 && k <= 0xdb);
      const isNumber = k <= 0x7f || k >= 0xe0 || (k >= 0xca && k <= 0xd3);
      if (!isStr && !isNumber) throw new CodecError(`map key at offset ${pos} must be a string or a number`);
      if (isStr && isProtoKey(bytes, pos, k)) throw new CodecError('the map key __proto__ is not allowed');
      pos = skipValidValue(bytes, pos, limits, depth + 1);
    }
    pos = skipValidValue(bytes, pos, limits, depth + 1);
  }
  return pos;
}
