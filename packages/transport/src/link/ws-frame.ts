/**
 * The RFC 6455 wire format as the server side of a WebSocket link writes it: frame headers (never
 * masked), close frames, close codes, and the violations a client can commit. Sans-IO: no Node
 * import, `Uint8Array` only. The parser is {@link FrameParser} (`ws-frame-parser.ts`).
 *
 * Why we frame ourselves on the server: `ws` costs about 3 KiB of heap per server connection (its
 * WebSocket, a Receiver that is a Writable stream, a Sender, event-target wrappers) and its send and
 * receive paths (cork/uncork, two-buffer writev, stream machinery, a copy into an ArrayBuffer per
 * message) were 8–10 % of the Netplay server's busy time under relay load. A game server needs only
 * binary messages without extensions, so the server side frames with these few functions instead;
 * `ws` stays as the Node client and as the reference peer in tests.
 * @module
 */

/** Frame opcodes (RFC 6455 §5.2). @internal */
export const WsOpcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/** Close codes the server sends or reports (RFC 6455 §7.4.1). @internal */
export const WsCloseCode = {
  /** Normal closure. */
  NORMAL: 1000,
  /** The server is going away. */
  GOING_AWAY: 1001,
  /** The peer broke the framing protocol. */
  PROTOCOL_ERROR: 1002,
  /** A close frame without a code (never sent on the wire). */
  NO_STATUS: 1005,
  /** The connection was lost without a close frame (never sent on the wire). */
  ABNORMAL: 1006,
  /** A close reason (or text) that is not UTF-8. */
  INVALID_PAYLOAD: 1007,
  /** A message over the size limit. */
  MESSAGE_TOO_BIG: 1009,
  /** The server failed (here: the application's datagram handler threw). */
  INTERNAL_ERROR: 1011,
} as const;

/** FIN bit of a frame's first byte. @internal */
export const FIN = 0x80;
/** The three RSV bits of a frame's first byte (no extension is negotiated, so all must be 0). @internal */
export const RSV_BITS = 0x70;
/** MASK bit of a frame's second byte. @internal */
export const MASK_BIT = 0x80;
/** Largest payload of a control frame (close, ping, pong). @internal */
export const MAX_CONTROL_PAYLOAD = 125;
/** A close reason may hold at most 123 UTF-8 bytes (125 minus the 2-byte code). @internal */
export const MAX_CLOSE_REASON_BYTES = MAX_CONTROL_PAYLOAD - 2;
/** The 7-bit length values that announce a 16-bit and a 64-bit extended length. @internal */
export const LENGTH_16 = 126;
/** @internal */
export const LENGTH_64 = 127;

const MAX_LENGTH_16 = 0xffff;
const TWO_POW_32 = 2 ** 32;

/**
 * Size of an unmasked (server) frame header for a payload of `length` bytes: 2, 4 or 10.
 * @internal
 */
export function frameHeaderSize(length: number): number {
  return length <= MAX_CONTROL_PAYLOAD ? 2 : length <= MAX_LENGTH_16 ? 4 : 10;
}

/**
 * Write the header of a final, unmasked frame (what a server sends) at `offset` of `target`.
 *
 * @param opcode - One of {@link WsOpcode}.
 * @param length - Payload length in bytes.
 * @returns The header size, {@link frameHeaderSize}`(length)`.
 * @throws A `RangeError` if `length` is not a safe non-negative integer or `target` is too short.
 * @internal
 */
export function writeFrameHeader(target: Uint8Array, offset: number, opcode: number, length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid frame length ${length}`);
  const size = frameHeaderSize(length);
  if (offset < 0 || offset + size > target.length) throw new RangeError('frame header does not fit');
  target[offset] = FIN | opcode;
  if (size === 2) {
    target[offset + 1] = length;
  } else if (size === 4) {
    target[offset + 1] = LENGTH_16;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
  } else {
    target[offset + 1] = LENGTH_64;
    writeUint32(target, offset + 2, Math.floor(length / TWO_POW_32));
    writeUint32(target, offset + 6, length >>> 0);
  }
  return size;
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

const encoder = new TextEncoder();

/**
 * A complete close frame (header and payload) as the server sends it. Without `code` the payload
 * is empty; otherwise it is the 2-byte code and `reason` cut to {@link MAX_CLOSE_REASON_BYTES}
 * UTF-8 bytes on a character boundary.
 * @internal
 */
export function encodeCloseFrame(code?: number, reason = ''): Uint8Array {
  if (code === undefined) return new Uint8Array([FIN | WsOpcode.CLOSE, 0]);
  let text = encoder.encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    let cut = MAX_CLOSE_REASON_BYTES;
    // Back up to the first byte of the character that does not fit (continuation bytes are 10xxxxxx).
    while (cut > 0 && (text[cut]! & 0xc0) === 0x80) cut--;
    text = text.subarray(0, cut);
  }
  const frame = new Uint8Array(4 + text.length);
  frame[0] = FIN | WsOpcode.CLOSE;
  frame[1] = 2 + text.length;
  frame[2] = code >>> 8;
  frame[3] = code & 0xff;
  frame.set(text, 4);
  return frame;
}

/**
 * Whether `code` may appear in a close frame (RFC 6455 §7.4: 1000–1014 except the reserved 1004,
 * 1005 and 1006, and the registered / private range 3000–4999).
 * @internal
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999)
  );
}

/** Stable names of the ways a client can break the framing protocol. @internal */
export type FrameViolationKind =
  | 'UNMASKED_FRAME'
  | 'RSV_SET'
  | 'UNKNOWN_OPCODE'
  | 'CONTROL_TOO_LONG'
  | 'CONTROL_FRAGMENTED'
  | 'UNEXPECTED_CONTINUATION'
  | 'UNFINISHED_MESSAGE'
  | 'LENGTH_TOP_BIT'
  | 'MESSAGE_TOO_BIG'
  | 'CLOSE_PAYLOAD_ONE_BYTE'
  | 'INVALID_CLOSE_CODE'
  | 'INVALID_CLOSE_REASON';

/** A protocol violation: what the client did and the close code the server answers with. @internal */
export interface FrameViolation {
  /** Stable name, safe to switch on. */
  readonly kind: FrameViolationKind;
  /** Close code to send: 1002, 1007 or 1009. */
  readonly closeCode: number;
  /** Human-readable description (also sent as the close reason). */
  readonly message: string;
}

function violation(kind: FrameViolationKind, closeCode: number, message: string): FrameViolation {
  return Object.freeze({ kind, closeCode, message });
}

const { PROTOCOL_ERROR, INVALID_PAYLOAD, MESSAGE_TOO_BIG } = WsCloseCode;

/** Every {@link FrameViolation}, one frozen object each (reporting one allocates nothing). @internal */
export const FRAME_VIOLATIONS: Readonly<Record<FrameViolationKind, FrameViolation>> = Object.freeze({
  UNMASKED_FRAME: violation('UNMASKED_FRAME', PROTOCOL_ERROR, 'client frame is not masked'),
  RSV_SET: violation('RSV_SET', PROTOCOL_ERROR, 'RSV bits set without a negotiated extension'),
  UNKNOWN_OPCODE: violation('UNKNOWN_OPCODE', PROTOCOL_ERROR, 'unknown opcode'),
  CONTROL_TOO_LONG: violation('CONTROL_TOO_LONG', PROTOCOL_ERROR, 'control frame payload over 125 bytes'),
  CONTROL_FRAGMENTED: violation('CONTROL_FRAGMENTED', PROTOCOL_ERROR, 'fragmented control frame'),
  UNEXPECTED_CONTINUATION: violation('UNEXPECTED_CONTINUATION', PROTOCOL_ERROR, 'continuation frame without a message'),
  UNFINISHED_MESSAGE: violation('UNFINISHED_MESSAGE', PROTOCOL_ERROR, 'new message before the last one finished'),
  LENGTH_TOP_BIT: violation('LENGTH_TOP_BIT', PROTOCOL_ERROR, '64-bit payload length with the top bit set'),
  MESSAGE_TOO_BIG: violation('MESSAGE_TOO_BIG', MESSAGE_TOO_BIG, 'message over maxPayload'),
  CLOSE_PAYLOAD_ONE_BYTE: violation('CLOSE_PAYLOAD_ONE_BYTE', PROTOCOL_ERROR, 'close frame with a 1-byte payload'),
  INVALID_CLOSE_CODE: violation('INVALID_CLOSE_CODE', PROTOCOL_ERROR, 'invalid close code'),
  INVALID_CLOSE_REASON: violation('INVALID_CLOSE_REASON', INVALID_PAYLOAD, 'close reason is not UTF-8'),
});
