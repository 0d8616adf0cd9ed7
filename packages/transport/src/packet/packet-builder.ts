/**
 * Packs message records into one datagram of at most `mtu` bytes, remembering which message each
 * record was (so acks and losses of the packet map back to messages). One builder per MTU in the
 * process, shared by every connection: no allocation per message, and none per datagram but the
 * view handed out.
 *
 * Packets are built in place in a slab (a 64 KiB buffer): {@link PacketBuilder.take} hands out a
 * view of the finished packet and moves on, so a datagram is never copied between being built and
 * being written to a socket. The links own the views they are given; a slab is replaced when full
 * and freed once every datagram in it is gone. A packet may be built with `headroom` free bytes
 * before it, for a link to write its own framing in front (a WebSocket frame header): see
 * {@link Link.send}.
 * @module
 */
import { FRAGMENT_RECORD_HEADER_SIZE, RECORD_HEADER_SIZE, writeRecordHeader } from './message-record.js';
import { PACKET_HEADER_SIZE, writePacketHeaderAt } from './packet-header.js';
import { appendRef, clearRefs, newRefsArray } from './sent-packets.js';

/** Encode a message reference: channel index (position in the connection's channel list) and sequence. */
export function messageRef(channelIndex: number, sequence: number): number {
  return (channelIndex << 16) | sequence;
}

/** Bytes of one slab. */
const SLAB_SIZE = 64 * 1024;
/** Most headroom a packet may ask for. */
export const MAX_HEADROOM = 16;

const sharedByMtu = new Map<number, PacketBuilder>();

/** Builds one packet at a time, in place in its current slab. */
export class PacketBuilder {
  /**
   * The builder of every connection of this MTU in the process: a packet is begun, built and
   * taken synchronously, with no callback in between.
   */
  static shared(mtu: number): PacketBuilder {
    let builder = sharedByMtu.get(mtu);
    if (builder === undefined) {
      builder = new PacketBuilder(mtu);
      sharedByMtu.set(mtu, builder);
    }
    return builder;
  }

  /** Bytes used so far, header included. */
  length = PACKET_HEADER_SIZE;
  /** Message references of the records in this packet, counted: `[count, ref…]` (see `sent-packets.ts`). */
  refs: number[] = newRefsArray();
  /** Number of records in this packet. */
  records = 0;
  /**
   * Set by a channel that left a record out because it did not fit (space or budget): another
   * packet may carry it. `false` after a packet built with nothing left out: the flush is done.
   */
  deferred = false;
  private readonly mtu: number;
  private slab: Uint8Array;
  /** Offset of the packet being built (its header) in the slab. */
  private base = 0;
  /** First byte of the slab no datagram handed out uses. */
  private used = 0;

  constructor(mtu: number) {
    this.mtu = mtu;
    this.slab = new Uint8Array(Math.max(SLAB_SIZE, MAX_HEADROOM + mtu));
  }

  /** Start a new packet, with `headroom` (≤ {@link MAX_HEADROOM}) free bytes before it. */
  begin(headroom = 0): void {
    if (this.used + headroom + this.mtu > this.slab.length) {
      this.slab = new Uint8Array(this.slab.length);
      this.used = 0;
    }
    this.base = this.used + headroom;
    this.length = PACKET_HEADER_SIZE;
    this.records = 0;
    this.deferred = false;
    clearRefs(this.refs);
  }

  /** Bytes a record with this payload takes. */
  static recordSize(payloadLength: number, fragmented: boolean): number {
    return payloadLength + (fragmented ? FRAGMENT_RECORD_HEADER_SIZE : RECORD_HEADER_SIZE);
  }

  /** `true` when a record of `size` bytes still fits. */
  fits(size: number): boolean {
    return this.length + size <= this.mtu;
  }

  /**
   * Append a record (caller checked {@link fits}). `fragmentsRemaining` is -1 for a whole message.
   */
  add(
    channelIndex: number,
    channelId: number,
    sequence: number,
    payload: Uint8Array,
    fragmentsRemaining: number,
  ): void {
    const base = this.base;
    const at = writeRecordHeader(
      this.slab,
      base + this.length,
      channelId,
      sequence,
      payload.length,
      fragmentsRemaining,
    );
    this.slab.set(payload, at);
    this.length = at + payload.length - base;
    appendRef(this.refs, messageRef(channelIndex, sequence));
    this.records++;
  }

  /** Write the packet header (the records are already in place). */
  writeHeader(type: number, sequence: number, hasAck: boolean, ack: number, ackBits: number): void {
    writePacketHeaderAt(this.slab, this.base, type, sequence, hasAck, ack, ackBits);
  }

  /**
   * Hand out the finished packet: a view the caller owns (nothing writes there again), with the
   * packet's `headroom` free bytes before it in the same buffer.
   */
  take(): Uint8Array {
    const end = this.base + this.length;
    const datagram = this.slab.subarray(this.base, end);
    this.used = end;
    return datagram;
  }

  /** The packet being built (a view; for tests). */
  get packet(): Uint8Array {
    return this.slab.subarray(this.base, this.base + this.length);
  }
}
