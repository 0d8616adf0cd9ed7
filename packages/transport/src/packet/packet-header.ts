/**
 * The 10-byte header on every datagram (byte layout in docs/protocol.md):
 *
 * ```
 * 0      protocol id            0x4E ('N')
 * 1      version:3 | hasAck:1 | type:4
 * 2..3   sequence               u16 big-endian, wraps
 * 4..5   ack                    u16: latest sequence received from the peer (valid when hasAck)
 * 6..9   ack bits               u32: bit i set = sequence (ack - 1 - i) received
 * ```
 * @module
 */

/** First byte of every Netplay datagram. */
export const PROTOCOL_ID = 0x4e;
/** Wire format version carried in byte 1. */
export const PROTOCOL_VERSION = 1;
/** Size of the packet header in bytes. */
export const PACKET_HEADER_SIZE = 10;

/** Packet types (low 4 bits of byte 1). Types 8–15 are reserved for the session layer (handshake). */
export const PacketType = {
  /** Carries message records; ack-eliciting. */
  Data: 0,
  /** Acks only, no records; never acked itself. */
  Ack: 1,
  /** No records, but ack-eliciting: keeps RTT samples and the path alive when idle. */
  KeepAlive: 2,
} as const;
/** One of the {@link PacketType} values. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

const HAS_ACK = 0x10;

/** A decoded packet header. Reused by the decoder: copy fields out if you keep them. */
export interface PacketHeader {
  type: number;
  sequence: number;
  /** `false` until the sender has received anything (then `ack`/`ackBits` are meaningless). */
  hasAck: boolean;
  ack: number;
  ackBits: number;
}

/** Write a header at offset 0 of `view`. */
export function writePacketHeader(
  view: DataView,
  type: number,
  sequence: number,
  hasAck: boolean,
  ack: number,
  ackBits: number,
): void {
  view.setUint8(0, PROTOCOL_ID);
  view.setUint8(1, (PROTOCOL_VERSION << 5) | (hasAck ? HAS_ACK : 0) | type);
  view.setUint16(2, sequence);
  view.setUint16(4, hasAck ? ack : 0);
  view.setUint32(6, hasAck ? ackBits >>> 0 : 0);
}

/** Write a header at `offset` of `bytes` (what {@link writePacketHeader} writes, without a `DataView`). */
export function writePacketHeaderAt(
  bytes: Uint8Array,
  offset: number,
  type: number,
  sequence: number,
  hasAck: boolean,
  ack: number,
  ackBits: number,
): void {
  bytes[offset] = PROTOCOL_ID;
  bytes[offset + 1] = (PROTOCOL_VERSION << 5) | (hasAck ? HAS_ACK : 0) | type;
  bytes[offset + 2] = sequence >>> 8;
  bytes[offset + 3] = sequence & 0xff;
  const a = hasAck ? ack : 0;
  bytes[offset + 4] = a >>> 8;
  bytes[offset + 5] = a & 0xff;
  const bits = hasAck ? ackBits >>> 0 : 0;
  bytes[offset + 6] = bits >>> 24;
  bytes[offset + 7] = (bits >>> 16) & 0xff;
  bytes[offset + 8] = (bits >>> 8) & 0xff;
  bytes[offset + 9] = bits & 0xff;
}

/**
 * Read the header of `bytes` into `out`. Returns `false` (and leaves `out` unspecified) when the
 * datagram is too short, has another protocol id or version, or an unknown connection packet type.
 */
export function readPacketHeader(bytes: Uint8Array, out: PacketHeader): boolean {
  if (bytes.length < PACKET_HEADER_SIZE || bytes[0] !== PROTOCOL_ID) return false;
  const b1 = bytes[1]!;
  if (b1 >> 5 !== PROTOCOL_VERSION) return false;
  const type = b1 & 0x0f;
  if (type > PacketType.KeepAlive) return false;
  out.type = type;
  out.hasAck = (b1 & HAS_ACK) !== 0;
  out.sequence = (bytes[2]! << 8) | bytes[3]!;
  out.ack = (bytes[4]! << 8) | bytes[5]!;
  out.ackBits = ((bytes[6]! << 24) | (bytes[7]! << 16) | (bytes[8]! << 8) | bytes[9]!) >>> 0;
  if (!out.hasAck && (out.ack !== 0 || out.ackBits !== 0)) return false;
  if (type !== PacketType.Data && bytes.length !== PACKET_HEADER_SIZE) return false;
  return true;
}
