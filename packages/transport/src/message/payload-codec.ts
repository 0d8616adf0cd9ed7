/**
 * The payload codec: structured values ⇄ msgpack bytes, for payloads that come off the network.
 *
 * Built on `@msgpack/msgpack` with one reused {@link Encoder} and {@link Decoder} per codec, length
 * limits on everything a peer can claim, a nesting-depth limit, and one error type: every failure is
 * a {@link CodecError} whose `cause` is the underlying error.
 *
 * Types on the wire: `null`/`undefined` → nil (decodes as `null`), booleans, numbers (integers
 * decode exactly up to 2^53; 64-bit integers beyond that lose precision), strings, arrays, plain
 * objects (string or number keys; a `__proto__` key encodes but is refused on decode), `Date`
 * (msgpack timestamp ext), and byte arrays: any `ArrayBufferView` encodes as msgpack bin and decodes
 * as a `Uint8Array` **view into the decoded input** (no copy — copy it if the input buffer is
 * reused). `Map`, `Set`, `bigint`, functions, symbols and extension types other than the timestamp
 * are refused.
 * @module
 */
import {
  DecodeError,
  Decoder,
  decodeTimestampExtension,
  Encoder,
  EXT_TIMESTAMP,
  ExtData,
  type ExtensionCodecType,
  encodeTimestampExtension,
} from '@msgpack/msgpack';
import { CodecError, InvalidOptionError } from '../errors.js';
import { MsgpackScanner } from './msgpack-scan.js';
import { assertMessageType, type MessageType, type TypedMessage, toTypedMessage } from './typed-message.js';

/** Bounds on what a decoded payload may contain. Lengths are checked before anything is allocated. */
export interface PayloadLimits {
  /** Longest string, in UTF-8 bytes. Defaults to 65 536. */
  readonly maxStrLength: number;
  /** Longest byte array (msgpack bin), in bytes. Defaults to 1 048 576 (1 MiB). */
  readonly maxBinLength: number;
  /** Most elements in one array. Defaults to 65 536. */
  readonly maxArrayLength: number;
  /** Most entries (key/value pairs) in one map. Defaults to 65 536. */
  readonly maxMapLength: number;
  /** Longest msgpack extension body, in bytes; only the timestamp ext (≤ 12 bytes) is supported. Defaults to 16. */
  readonly maxExtLength: number;
  /** Most arrays/maps nested inside each other (`[]` is depth 1, `[[]]` depth 2). Defaults to 32. */
  readonly maxDepth: number;
}

/** The limits a {@link PayloadCodec} uses for every option not given. */
export const DEFAULT_PAYLOAD_LIMITS = {
  maxStrLength: 65_536,
  maxBinLength: 1_048_576,
  maxArrayLength: 65_536,
  maxMapLength: 65_536,
  maxExtLength: 16,
  maxDepth: 32,
} as const satisfies PayloadLimits;

/** Options of a {@link PayloadCodec}: any of the {@link PayloadLimits}, plus encoder tuning. */
export interface PayloadCodecOptions extends Partial<PayloadLimits> {
  /** Initial size of the reused encode buffer, in bytes; it grows as needed. Defaults to 2048. */
  readonly initialBufferSize?: number;
}

const LIMIT_NAMES = Object.keys(DEFAULT_PAYLOAD_LIMITS) as (keyof PayloadLimits)[];

/**
 * Encodes and decodes msgpack payloads. Holds one reusable encode buffer: create one codec per
 * connection/room (or share one on a single thread); it is not meant for concurrent use from workers.
 *
 * @example
 * ```ts
 * const codec = new PayloadCodec({ maxDepth: 8 });
 * const bytes = codec.encodeMessage('move', { x: 1, y: 2 });
 * const { type, payload } = codec.decodeMessage(bytes); // 'move', { x: 1, y: 2 }
 * ```
 */
export class PayloadCodec {
  /** The limits in force (given options merged over {@link DEFAULT_PAYLOAD_LIMITS}). */
  readonly limits: PayloadLimits;
  private readonly encoder: Encoder;
  private readonly decoder: Decoder;
  private readonly scanner: MsgpackScanner;

  /** @throws {@link InvalidOptionError} if a limit is not a non-negative integer (or `maxDepth` < 1). */
  constructor(options: PayloadCodecOptions = {}) {
    const limits: Record<keyof PayloadLimits, number> = { ...DEFAULT_PAYLOAD_LIMITS };
    for (const name of LIMIT_NAMES) {
      const value = options[name];
      if (value === undefined) continue;
      if (!Number.isSafeInteger(value) || value < (name === 'maxDepth' ? 1 : 0)) {
        throw new InvalidOptionError(name, `expected an integer ≥ ${name === 'maxDepth' ? 1 : 0}, got ${value}`);
      }
      limits[name] = value;
    }
    const initialBufferSize = options.initialBufferSize ?? 2048;
    if (!Number.isSafeInteger(initialBufferSize) || initialBufferSize < 1) {
      throw new InvalidOptionError('initialBufferSize', `expected a positive integer, got ${initialBufferSize}`);
    }
    this.limits = Object.freeze(limits);
    this.encoder = new Encoder({
      extensionCodec,
      initialBufferSize,
      // msgpack's Encoder counts the leaf value as a level too: `[1]` is depth 2 to it.
      maxDepth: limits.maxDepth + 1,
    });
    this.decoder = new Decoder({
      extensionCodec,
      maxStrLength: limits.maxStrLength,
      maxBinLength: limits.maxBinLength,
      maxArrayLength: limits.maxArrayLength,
      maxMapLength: limits.maxMapLength,
      maxExtLength: limits.maxExtLength,
    });
    this.scanner = new MsgpackScanner(limits.maxDepth);
  }

  /**
   * Encode `value` into a fresh `Uint8Array` that the caller owns (safe to queue or keep).
   *
   * Decode limits on lengths are not applied here (the sender is trusted); the depth limit is, as
   * msgpack's Encoder counts it: a value nested deeper than `maxDepth` containers is refused, except
   * an *empty* array or map exactly one level deeper, which the receiver then refuses.
   * @throws {@link CodecError} for a value that cannot be encoded.
   */
  encode(value: unknown): Uint8Array {
    try {
      return this.encoder.encode(value);
    } catch (error) {
      throw toCodecError('cannot encode payload', error);
    }
  }

  /**
   * Like {@link PayloadCodec.encode} without the copy: the result is a view into this codec's
   * internal buffer, **valid only until the next encode call on this codec**. Use it when the bytes
   * are copied right away (e.g. into a packet being written); use `encode` for anything queued.
   * @throws {@link CodecError} for a value that cannot be encoded.
   */
  encodeSharedRef(value: unknown): Uint8Array {
    try {
      return this.encoder.encodeSharedRef(value);
    } catch (error) {
      throw toCodecError('cannot encode payload', error);
    }
  }

  /**
   * Decode one msgpack value that fills `bytes` exactly. Byte arrays in the result are views into
   * `bytes`. Untrusted input is fine: every problem (truncation, trailing bytes, a limit exceeded,
   * an unsupported type) throws {@link CodecError}, and nothing is allocated beyond the limits.
   * @throws {@link CodecError}
   */
  decode(bytes: Uint8Array): unknown {
    if (!(bytes instanceof Uint8Array)) throw new CodecError('decode expects a Uint8Array');
    try {
      this.scanner.scan(bytes);
      return this.decoder.decode(bytes);
    } catch (error) {
      throw toCodecError('cannot decode payload', error);
    }
  }

  /**
   * Encode a typed message as the msgpack array `[type, payload]` into a fresh `Uint8Array`.
   * An `undefined` payload arrives as `null`.
   * @throws {@link CodecError} if `type` is not a string or a safe integer, or `payload` cannot be encoded.
   */
  encodeMessage(type: MessageType, payload: unknown): Uint8Array {
    assertMessageType(type);
    return this.encode([type, payload]);
  }

  /**
   * Decode bytes made by {@link PayloadCodec.encodeMessage}. The payload is `unknown`: validate it
   * before use, it came from the network.
   * @throws {@link CodecError} if the bytes are not msgpack within the limits, or not a
   * `[type, payload]` array whose type is a string or a safe integer.
   */
  decodeMessage(bytes: Uint8Array): TypedMessage {
    return toTypedMessage(this.decode(bytes));
  }
}

function toCodecError(what: string, error: unknown): CodecError {
  if (error instanceof CodecError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new CodecError(`${what}: ${reason}`, { cause: error });
}

/**
 * The only msgpack extension supported: the timestamp (`Date`). Every other ext type is refused on
 * decode, and values msgpack would silently flatten (`Map`, `Set` → `{}`) are refused on encode.
 */
const extensionCodec: ExtensionCodecType<undefined> = {
  tryToEncode(object: unknown): ExtData | null {
    if (object instanceof Date) return new ExtData(EXT_TIMESTAMP, encodeTimestampExtension(object)!);
    if (object instanceof Map || object instanceof Set || object instanceof ExtData) {
      throw new CodecError(`cannot encode a ${Object.prototype.toString.call(object)}: use a plain object or array`);
    }
    return null;
  },
  decode(data: Uint8Array, extType: number): unknown {
    if (extType === EXT_TIMESTAMP) return decodeTimestampExtension(data);
    throw new DecodeError(`unsupported msgpack extension type ${extType}`);
  },
};
