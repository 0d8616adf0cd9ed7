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
