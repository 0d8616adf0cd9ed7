/**
 * The RFC 6455 wire format as both ends of a WebSocket link write it: frame headers (unmasked from
 * a server, masked from a client), masking, close frames, close codes, and the violations a peer
 * can commit. Sans-IO: no Node import, `Uint8Array` only (the masking keys come from the caller:
 * `ws-mask-key.ts` draws them in Node). The parser is {@link FrameParser} (`ws-frame-parser.ts`).
 *
 * Why we frame ourselves: on the server, `ws` cost about 3 KiB of heap per connection (its
 * WebSocket, a Receiver that is a Writable stream, a Sender, event-target wrappers) and its send and
 * receive paths (cork/uncork, two-buffer writev, stream machinery, a copy into an ArrayBuffer per
 * message) were 8–10 % of the Netplay server's busy time under relay load. On a Node client
 * (`connectWebSocket`, thousands of bots in one process in the relay bench) its connect path
 * (`http.ClientRequest`), send path (`Sender.frame`, masking into a second buffer, writev) and
 * receive path were about 38 % of the client's CPU. A game link needs only binary messages
 * without extensions, so both sides frame with these few functions instead; `ws` stays as the
 * reference peer in tests.
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

/** Close codes a link sends or reports (RFC 6455 §7.4.1). @internal */
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
  /** The endpoint failed (here: the application's datagram handler threw). */
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

/** Bytes of a masking key (RFC 6455 §5.3), written after the length in a client's frame header. @internal */
export const MASK_KEY_BYTES = 4;

const MAX_LENGTH_16 = 0xffff;
const TWO_POW_32 = 2 ** 32;

/**
 * Size of a frame header for a payload of `length` bytes: 2, 4 or 10 unmasked (a server's),
 * 6, 8 or 14 masked (a client's: the same plus the 4-byte masking key).
 * @internal
 */
export function frameHeaderSize(length: number, masked = false): number {
  const size = length <= MAX_CONTROL_PAYLOAD ? 2 : length <= MAX_LENGTH_16 ? 4 : 10;
  return masked ? size + MASK_KEY_BYTES : size;
}

/**
 * Write the header of a final frame at `offset` of `target`: unmasked (what a server sends), or
 * with `maskKey` masked (what a client sends: the MASK bit, then the key after the length). The
 * payload is not touched: a client masks it with {@link maskBytes} and the same key.
 *
 * @param opcode - One of {@link WsOpcode}.
 * @param length - Payload length in bytes.
 * @param maskKey - The masking key as a 32-bit integer, its first byte in the top bits (signed or
 *   unsigned); `undefined` for an unmasked header.
 * @returns The header size, {@link frameHeaderSize}`(length, maskKey !== undefined)`.
 * @throws A `RangeError` if `length` is not a safe non-negative integer or `target` is too short.
 * @internal
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  opcode: number,
  length: number,
  maskKey?: number,
): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid frame length ${length}`);
  const masked = maskKey !== undefined;
  const size = frameHeaderSize(length, masked);
  if (offset < 0 || offset + size > target.length) throw new RangeError('frame header does not fit');
  const maskBit = masked ? MASK_BIT : 0;
  const lengthSize = masked ? size - MASK_KEY_BYTES : size;
  target[offset] = FIN | opcode;
  if (lengthSize === 2) {
    target[offset + 1] = maskBit | length;
  } else if (lengthSize === 4) {
    target[offset + 1] = maskBit | LENGTH_16;
    target[offset + 2] = length >>> 8;
    target[offset + 3] = length & 0xff;
  } else {
    target[offset + 1] = maskBit | LENGTH_64;
    writeUint32(target, offset + 2, Math.floor(length / TWO_POW_32));
    writeUint32(target, offset + 6, length >>> 0);
  }
  if (masked) writeUint32(target, offset + lengthSize, maskKey);
  return size;
}

/**
 * XOR `count` bytes of `bytes` from `start` with the 4-byte masking key `key` (RFC 6455 §5.3), in
 * place: this masks a payload and unmasks a masked one. `phase` is the position in the frame's
 * payload of the first of these bytes, so that a payload split across chunks is unmasked piece by
 * piece. A key of 0 changes nothing and returns at once.
 *
 * @param key - The masking key as a 32-bit integer, its first byte in the top bits.
 * @internal
 */
export function maskBytes(bytes: Uint8Array, start: number, count: number, key: number, phase = 0): void {
  if (key === 0 || count <= 0) return;
  const shift = (phase & 3) * 8;
  const rotated = shift === 0 ? key : (key << shift) | (key >>> (32 - shift));
  const k0 = rotated >>> 24;
  const k1 = (rotated >>> 16) & 0xff;
  const k2 = (rotated >>> 8) & 0xff;
  const k3 = rotated & 0xff;
  const end = start + count;
  const end4 = end - (count & 3);
  let i = start;
  for (; i < end4; i += 4) {
    bytes[i]! ^= k0;
    bytes[i + 1]! ^= k1;
    bytes[i + 2]! ^= k2;
    bytes[i + 3]! ^= k3;
  }
  if (i < end) bytes[i++]! ^= k0;
  if (i < end) bytes[i++]! ^= k1;
  if (i < end) bytes[i]! ^= k2;
}

function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

const encoder = new TextEncoder();

/**
 * A complete close frame (header and payload): unmasked as a server sends it, or masked with
 * `maskKey` as a client does. Without `code` the payload is empty; otherwise it is the 2-byte code
 * and `reason` cut to {@link MAX_CLOSE_REASON_BYTES} UTF-8 bytes on a character boundary.
 * @internal
 */
export function encodeCloseFrame(code?: number, reason = '', maskKey?: number): Uint8Array {
  let text = code === undefined ? new Uint8Array(0) : encoder.encode(reason);
  if (text.length > MAX_CLOSE_REASON_BYTES) {
    let cut = MAX_CLOSE_REASON_BYTES;
    // Back up to the first byte of the character that does not fit (continuation bytes are 10xxxxxx).
    while (cut > 0 && (text[cut]! & 0xc0) === 0x80) cut--;
    text = text.subarray(0, cut);
  }
  const length = code === undefined ? 0 : 2 + text.length;
  const header = frameHeaderSize(length, maskKey !== undefined);
  const frame = new Uint8Array(header + length);
  writeFrameHeader(frame, 0, WsOpcode.CLOSE, length, maskKey);
  if (code !== undefined) {
    frame[header] = code >>> 8;
    frame[header + 1] = code & 0xff;
    frame.set(text, header + 2);
  }
  if (maskKey !== undefined) maskBytes(frame, header, length, maskKey);
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

/** Stable names of the ways a peer can break the framing protocol. @internal */
export type FrameViolationKind =
  | 'UNMASKED_FRAME'
  | 'MASKED_FRAME'
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

/** A protocol violation: what the peer did and the close code the link answers with. @internal */
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
  MASKED_FRAME: violation('MASKED_FRAME', PROTOCOL_ERROR, 'server frame is masked'),
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
