/**
 * Message records: what follows the packet header, back to back until the end of the datagram.
 *
 * ```
 * 0..1   fragment:1 | channel:4 | length:11      u16 big-endian
 * 2..3   message sequence                         u16 big-endian (per channel)
 * 4..5   fragments remaining after this one       u16, only when fragment = 1
 * ...    payload (length bytes)
 * ```
 * Four bytes of framing per message (six for a fragment of a large reliable message).
 * @module
 */
import { PACKET_HEADER_SIZE } from './packet-header.js';

/** Framing bytes of an ordinary message record. */
export const RECORD_HEADER_SIZE = 4;
/** Framing bytes of a fragment record. */
export const FRAGMENT_RECORD_HEADER_SIZE = 6;
/**
 * Payload bytes of each fragment (but the last) of a large reliable message in packets of `mtu`
 * bytes: one fragment record per packet, after the packet header.
 */
export function fragmentPayloadSize(mtu: number): number {
  return mtu - PACKET_HEADER_SIZE - FRAGMENT_RECORD_HEADER_SIZE;
}
/** Largest channel id a record can carry (4 bits). */
export const MAX_CHANNEL_ID = 15;
/** Largest payload length a record can carry (11 bits). */
export const MAX_RECORD_PAYLOAD = 0x7ff;

/**
 * Write a record header at `offset`; returns the offset of its payload.
 * `fragmentsRemaining` is -1 for an unfragmented message.
 */
export function writeRecordHeader(
  bytes: Uint8Array,
  offset: number,
  channel: number,
  sequence: number,
  length: number,
  fragmentsRemaining: number,
): number {
  const fragmentBit = fragmentsRemaining >= 0 ? 0x80 : 0;
  bytes[offset] = fragmentBit | (channel << 3) | (length >> 8);
  bytes[offset + 1] = length & 0xff;
  bytes[offset + 2] = sequence >> 8;
  bytes[offset + 3] = sequence & 0xff;
  if (fragmentsRemaining < 0) return offset + RECORD_HEADER_SIZE;
  bytes[offset + 4] = fragmentsRemaining >> 8;
  bytes[offset + 5] = fragmentsRemaining & 0xff;
  return offset + FRAGMENT_RECORD_HEADER_SIZE;
}

/** A record header as parsed; reused by the reader. */
export interface RecordHeader {
  channel: number;
  sequence: number;
  /** -1 when the record is not a fragment. */
  fragmentsRemaining: number;
  payloadOffset: number;
  payloadLength: number;
}

/**
 * Parse the record at `offset` of `bytes` into `out`. Returns the offset just past the record, or
 * -1 when the header or payload runs past the end of the datagram.
 */
export function readRecordHeader(bytes: Uint8Array, offset: number, out: RecordHeader): number {
  const end = bytes.length;
  if (offset + RECORD_HEADER_SIZE > end) return -1;
  const b0 = bytes[offset]!;
  out.channel = (b0 >> 3) & 0x0f;
  out.payloadLength = ((b0 & 0x07) << 8) | bytes[offset + 1]!;
  out.sequence = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
  let p = offset + RECORD_HEADER_SIZE;
  if (b0 & 0x80) {
    if (p + 2 > end) return -1;
    out.fragmentsRemaining = (bytes[p]! << 8) | bytes[p + 1]!;
    p += 2;
  } else {
    out.fragmentsRemaining = -1;
  }
  out.payloadOffset = p;
  p += out.payloadLength;
  return p > end ? -1 : p;
}
