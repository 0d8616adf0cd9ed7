/**
 * {@link FrameParser}: the receive side of our own RFC 6455 framing (see `ws-frame.ts` for why we
 * frame ourselves), in either role: on a server it parses a client's frames (which must be
 * masked), on a client a server's (which must not be). An explicit state machine fed arbitrary
 * chunks: a frame may be split at any byte, and one chunk may hold many frames. Sans-IO: no Node
 * import.
 *
 * It unmasks in place (the caller hands over each chunk), delivers a view into the chunk when a
 * whole unfragmented message lies inside it, and copies only when a message spans chunks or is
 * fragmented. Every violation of the protocol is reported once, with its close code, and stops the
 * parser; it never throws on any input.
 * @module
 */
import {
  FIN,
  FRAME_VIOLATIONS,
  type FrameViolation,
  isValidCloseCode,
  LENGTH_16,
  LENGTH_64,
  MASK_BIT,
  MASK_KEY_BYTES,
  MAX_CONTROL_PAYLOAD,
  maskBytes,
  RSV_BITS,
  WsCloseCode,
  WsOpcode,
} from './ws-frame.js';

/** Why a complete message was dropped without being buffered. @internal */
export type DroppedMessage = 'text' | 'oversize';

/** What a {@link FrameParser} reports. Called synchronously from {@link FrameParser.push}. @internal */
export interface FrameSink {
  /** A complete binary message of at most `maxMessageSize` bytes; the sink owns it (it may be a view into a chunk). */
  onBinary(message: Uint8Array): void;
  /** A complete message dropped unbuffered: a text message, or a binary one over `maxMessageSize`. */
  onDropped(reason: DroppedMessage): void;
  /** A ping; answer it with a pong carrying `payload`. */
  onPing(payload: Uint8Array): void;
  /** A valid close frame (`code` 1005 when it had no payload). The parser stops. */
  onClose(code: number, reason: string): void;
  /** The peer broke the protocol; answer with a close frame of `violation.closeCode`. The parser stops. */
  onViolation(violation: FrameViolation): void;
}

/**
 * The end of the link a {@link FrameParser} runs on: a `'server'` parses a client's frames, which
 * must be masked; a `'client'` parses a server's frames, which must not be (RFC 6455 §5.1: either
 * mistake is a 1002 violation). @internal
 */
export type FrameParserRole = 'server' | 'client';

/** Limits (and role) of a {@link FrameParser}. @internal */
export interface FrameParserLimits {
  /** The end of the link the parser runs on. Defaults to `'server'`. */
  readonly role?: FrameParserRole;
  /** Largest message (sum of its fragments) accepted; a larger one is a 1009 violation before it is buffered. */
  readonly maxPayload: number;
  /** Largest binary message delivered; larger ones up to `maxPayload` are skipped and reported dropped. */
  readonly maxMessageSize: number;
}

// Parser states.
const FIRST_BYTE = 0;
const SECOND_BYTE = 1;
const EXTENDED_LENGTH = 2;
const MASK_KEY = 3;
const PAYLOAD = 4;
const STOPPED = 5;

const BYTE = 256;
const OPCODE_BITS = 0x0f;
const LENGTH_BITS = 0x7f;
const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the frames the peer sends: a client's on a server, a server's on a client (see
 * {@link FrameParserLimits.role}). Create one per connection (or lend an idle one, see
 * {@link FrameParser.reset}); feed every chunk read from the socket to {@link FrameParser.push}, in
 * order.
 * @internal
 */
export class FrameParser {
  #sink: FrameSink;
  #limits: FrameParserLimits;
  /** `true` on a server (frames must be masked), `false` on a client (they must not be). */
  #masked: boolean;
  #state = FIRST_BYTE;
  #fin = false;
  #opcode = 0;
  /** Extended-length or mask-key bytes still to read. */
  #headerBytes = 0;
  #length = 0;
  #remaining = 0;
  /** The mask key as a 32-bit signed integer, first key byte in the top bits. */
  #mask = 0;
  /** Opcode of the message in progress (text or binary); 0 between messages. */
  #messageType = 0;
  /** Declared length of the message so far, this frame included. */
  #messageLength = 0;
  #discard = false;
  /** Reassembly buffer of a fragmented message or one split across chunks; created when needed. */
  #message: Uint8Array | undefined;
  /** A control frame's payload split across chunks. */
  #control: Uint8Array | undefined;

  /**
   * @param sink - Receives messages, pings, the close frame and violations.
   * @param limits - Size limits; may be shared between parsers.
   */
  constructor(sink: FrameSink, limits: FrameParserLimits) {
    this.#sink = sink;
    this.#limits = limits;
    this.#masked = limits.role !== 'client';
  }

  /**
   * `true` between two messages: no frame or fragmented message in progress, nothing buffered. A
   * parser in this state holds nothing of its connection and may be {@link FrameParser.reset} for another.
   */
  get betweenFrames(): boolean {
    return (
      this.#state === FIRST_BYTE &&
      this.#messageType === 0 &&
      this.#message === undefined &&
      this.#control === undefined
    );
  }

  /** Start over for another connection (or the same one): between frames, with `sink` and `limits`. */
  reset(sink: FrameSink, limits: FrameParserLimits): void {
    this.#sink = sink;
    this.#limits = limits;
    this.#masked = limits.role !== 'client';
    this.#state = FIRST_BYTE;
    this.#fin = false;
    this.#opcode = 0;
    this.#headerBytes = 0;
    this.#length = 0;
    this.#remaining = 0;
    this.#mask = 0;
    this.#messageType = 0;
    this.#messageLength = 0;
    this.#discard = false;
    this.#message = undefined;
    this.#control = undefined;
  }

  /** `true` once a close frame or a violation stopped the parser (or {@link FrameParser.stop} did). */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Ignore every later byte and release buffers (e.g. once the link closed). */
  stop(): void {
    this.#state = STOPPED;
    this.#message = undefined;
    this.#control = undefined;
  }

  /**
   * Parse the next chunk from the socket. The parser takes ownership: it unmasks payloads in place
   * and may hand views into `chunk` to the sink.
   */
  push(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      switch (this.#state) {
        case FIRST_BYTE:
          this.#firstByte(chunk[pos++]!);
          break;
        case SECOND_BYTE:
          this.#secondByte(chunk[pos++]!);
          break;
        case EXTENDED_LENGTH:
          this.#lengthByte(chunk[pos++]!);
          break;
        case MASK_KEY:
          this.#maskByte(chunk[pos++]!);
          break;
        case PAYLOAD:
          pos = this.#payload(chunk, pos);
          break;
        default:
          return;
      }
    }
  }

  #firstByte(byte: number): void {
    if ((byte & RSV_BITS) !== 0) {
      this.#fail(FRAME_VIOLATIONS.RSV_SET);
      return;
    }
    const opcode = byte & OPCODE_BITS;
    const fin = (byte & FIN) !== 0;
    if (opcode === WsOpcode.CONTINUATION) {
      if (this.#messageType === 0) {
        this.#fail(FRAME_VIOLATIONS.UNEXPECTED_CONTINUATION);
        return;
      }
    } else if (opcode === WsOpcode.TEXT || opcode === WsOpcode.BINARY) {
      if (this.#messageType !== 0) {
        this.#fail(FRAME_VIOLATIONS.UNFINISHED_MESSAGE);
        return;
      }
      this.#messageType = opcode;
      this.#messageLength = 0;
      this.#discard = opcode === WsOpcode.TEXT;
    } else if (opcode === WsOpcode.CLOSE || opcode === WsOpcode.PING || opcode === WsOpcode.PONG) {
      if (!fin) {
        this.#fail(FRAME_VIOLATIONS.CONTROL_FRAGMENTED);
        return;
      }
    } else {
      this.#fail(FRAME_VIOLATIONS.UNKNOWN_OPCODE);
      return;
    }
    this.#opcode = opcode;
    this.#fin = fin;
    this.#state = SECOND_BYTE;
  }

  #secondByte(byte: number): void {
    if (((byte & MASK_BIT) !== 0) !== this.#masked) {
      this.#fail(this.#masked ? FRAME_VIOLATIONS.UNMASKED_FRAME : FRAME_VIOLATIONS.MASKED_FRAME);
      return;
    }
    const length = byte & LENGTH_BITS;
    if (this.#opcode >= WsOpcode.CLOSE) {
      if (length > MAX_CONTROL_PAYLOAD) {
        this.#fail(FRAME_VIOLATIONS.CONTROL_TOO_LONG);
        return;
      }
      if (this.#opcode === WsOpcode.CLOSE && length === 1) {
        this.#fail(FRAME_VIOLATIONS.CLOSE_PAYLOAD_ONE_BYTE);
        return;
      }
    }
    this.#length = 0;
    if (length === LENGTH_16 || length === LENGTH_64) {
      this.#headerBytes = length === LENGTH_16 ? 2 : 8;
      this.#state = EXTENDED_LENGTH;
    } else {
      this.#length = length;
      this.#haveLength();
    }
  }

  #lengthByte(byte: number): void {
    if (this.#headerBytes === 8 && byte >= 0x80) {
      this.#fail(FRAME_VIOLATIONS.LENGTH_TOP_BIT);
      return;
    }
    // Exact up to 2^53; anything near that is far over maxPayload anyway.
    this.#length = this.#length * BYTE + byte;
    if (--this.#headerBytes === 0) this.#haveLength();
  }

  /** Enforce `maxPayload` on the message before a byte of it is buffered. */
  #haveLength(): void {
    if (this.#opcode < WsOpcode.CLOSE) {
      const total = this.#messageLength + this.#length;
      if (total > this.#limits.maxPayload) {
        this.#fail(FRAME_VIOLATIONS.MESSAGE_TOO_BIG);
        return;
      }
      this.#messageLength = total;
      if (!this.#discard && total > this.#limits.maxMessageSize) {
        this.#discard = true;
        this.#message = undefined;
      }
    }
    this.#mask = 0;
    if (!this.#masked) {
      this.#startPayload();
      return;
    }
    this.#headerBytes = MASK_KEY_BYTES;
    this.#state = MASK_KEY;
  }

  #maskByte(byte: number): void {
    this.#mask = (this.#mask << 8) | byte;
    if (--this.#headerBytes === 0) this.#startPayload();
  }

  #startPayload(): void {
    this.#remaining = this.#length;
    this.#state = PAYLOAD;
    if (this.#length === 0) this.#frameDone(EMPTY);
  }

  #payload(chunk: Uint8Array, pos: number): number {
    const count = Math.min(chunk.length - pos, this.#remaining);
    const offset = this.#length - this.#remaining;
    this.#remaining -= count;
    const next = pos + count;
    const done = this.#remaining === 0;
    let payload: Uint8Array | undefined;
    if (this.#opcode >= WsOpcode.CLOSE) {
      maskBytes(chunk, pos, count, this.#mask, offset);
      if (offset === 0 && done) {
        payload = view(chunk, pos, count);
      } else {
        this.#control ??= new Uint8Array(this.#length);
        this.#control.set(view(chunk, pos, count), offset);
        if (done) payload = this.#control;
      }
    } else if (!this.#discard) {
      maskBytes(chunk, pos, count, this.#mask, offset);
      if (offset === 0 && done && this.#fin && this.#messageLength === this.#length) {
        payload = view(chunk, pos, count); // the whole message in this chunk: no copy
      } else {
        const at = this.#messageLength - this.#length + offset;
        this.#reserve(at + count).set(view(chunk, pos, count), at);
      }
    }
    if (done) this.#frameDone(payload ?? EMPTY);
    return next;
  }

  /** The reassembly buffer, grown to hold at least `size` bytes (to the declared length once final). */
  #reserve(size: number): Uint8Array {
    const current = this.#message;
    if (current !== undefined && current.length >= size) return current;
    const wanted = this.#fin
      ? this.#messageLength
      : Math.min(Math.max(this.#messageLength, 2 * (current?.length ?? 0)), this.#limits.maxMessageSize);
    const grown = new Uint8Array(wanted);
    if (current !== undefined) grown.set(current);
    this.#message = grown;
    return grown;
  }

  /** A frame is complete. State moves on before the sink runs, so that it may call {@link FrameParser.stop}. */
  #frameDone(payload: Uint8Array): void {
    this.#state = FIRST_BYTE;
    const opcode = this.#opcode;
    if (opcode === WsOpcode.CLOSE) {
      this.#control = undefined;
      this.#closeFrame(payload);
      return;
    }
    if (opcode === WsOpcode.PING) {
      this.#control = undefined;
      this.#sink.onPing(payload);
      return;
    }
    if (opcode === WsOpcode.PONG) {
      this.#control = undefined;
      return;
    }
    if (!this.#fin) return;
    const type = this.#messageType;
    const discard = this.#discard;
    const length = this.#messageLength;
    const buffered = this.#message;
    this.#messageType = 0;
    this.#messageLength = 0;
    this.#discard = false;
    this.#message = undefined;
    if (type === WsOpcode.TEXT) {
      this.#sink.onDropped('text');
      return;
    }
    if (discard) {
      this.#sink.onDropped('oversize');
      return;
    }
    if (buffered === undefined) {
      this.#sink.onBinary(payload);
      return;
    }
    this.#sink.onBinary(buffered.length === length ? buffered : buffered.subarray(0, length));
  }

  #closeFrame(payload: Uint8Array): void {
    if (payload.length === 0) {
      this.stop();
      this.#sink.onClose(WsCloseCode.NO_STATUS, '');
      return;
    }
    const code = (payload[0]! << 8) | payload[1]!;
    if (!isValidCloseCode(code)) {
      this.#fail(FRAME_VIOLATIONS.INVALID_CLOSE_CODE);
      return;
    }
    let reason: string;
    try {
      reason = utf8.decode(payload.subarray(2));
    } catch {
      this.#fail(FRAME_VIOLATIONS.INVALID_CLOSE_REASON);
      return;
    }
    this.stop();
    this.#sink.onClose(code, reason);
  }

  #fail(violation: FrameViolation): void {
    this.stop();
    this.#sink.onViolation(violation);
  }
}

function view(chunk: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset + start, length);
}
