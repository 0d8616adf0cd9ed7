/**
 * Packs message records into one datagram of at most `mtu` bytes, remembering which message each
 * record was (so acks and losses of the packet map back to messages). One builder per connection,
 * reused for every packet: no allocation per message.
 * @module
 */
import { FRAGMENT_RECORD_HEADER_SIZE, RECORD_HEADER_SIZE, writeRecordHeader } from './message-record.js';
import { PACKET_HEADER_SIZE } from './packet-header.js';

/** Encode a message reference: channel index (position in the connection's channel list) and sequence. */
export function messageRef(channelIndex: number, sequence: number): number {
  return (channelIndex << 16) | sequence;
}

const sharedByMtu = new Map<number, PacketBuilder>();

/** Builds one packet at a time into a scratch buffer. */
export class PacketBuilder {
  /**
   * The builder of every connection of this MTU in the process: a packet is begun, built and
   * copied out by {@link take} synchronously, with no callback in between.
   */
  static shared(mtu: number): PacketBuilder {
    let builder = sharedByMtu.get(mtu);
    if (builder === undefined) {
      builder = new PacketBuilder(mtu);
      sharedByMtu.set(mtu, builder);
    }
    return builder;
  }

  /** Scratch buffer; the header is written by the connection when the packet is finished. */
  readonly bytes: Uint8Array;
  /** View over {@link bytes}. */
  readonly view: DataView;
  /** Bytes used so far, header included. */
  length = PACKET_HEADER_SIZE;
  /** Message references of the records in this packet. */
  refs: number[] = [];
  /** Number of records in this packet. */
  records = 0;
  private readonly mtu: number;

  constructor(mtu: number) {
    this.mtu = mtu;
    this.bytes = new Uint8Array(mtu);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Start a new packet. */
  begin(): void {
    this.length = PACKET_HEADER_SIZE;
    this.records = 0;
    this.refs.length = 0;
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
    const at = writeRecordHeader(this.bytes, this.length, channelId, sequence, payload.length, fragmentsRemaining);
    this.bytes.set(payload, at);
    this.length = at + payload.length;
    this.refs.push(messageRef(channelIndex, sequence));
    this.records++;
  }

  /** Copy the finished packet out (the scratch buffer is reused; links take ownership of what they send). */
  take(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}
