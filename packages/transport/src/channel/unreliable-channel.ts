/**
 * Unreliable and unreliable-sequenced channels: UDP semantics with app-level sequence numbers.
 * Never resent; duplicates dropped; in sequenced mode a message older than the newest delivered one
 * is dropped. The sender hears per message whether it was acked or lost.
 * @module
 */
import { PacketBuilder } from '../packet/packet-builder.js';
import { ReceivedPackets, ReceiveVerdict } from '../packet/received-packets.js';
import { seqGreaterThan } from '../packet/sequence.js';
import { ChannelCounters, type ChannelSink } from './channel-sink.js';

/** Settings of an {@link UnreliableChannel}. */
export interface UnreliableChannelSettings {
  /** Position of the channel in its connection's channel list. */
  index: number;
  /** Channel id on the wire. */
  id: number;
  /** Drop messages older than the newest delivered one. */
  sequenced: boolean;
  /** Largest number of messages waiting for a flush; the oldest is dropped (and reported lost) past it. */
  maxQueue: number;
  /** Size of the duplicate-detection window (a power of two). */
  window: number;
}

/** One unreliable or unreliable-sequenced channel. */
export class UnreliableChannel extends ChannelCounters {
  private readonly s: UnreliableChannelSettings;
  private readonly sink: ChannelSink;
  private nextSequence = 0;
  private queue: Uint8Array[] = [];
  private queueSequences: number[] = [];
  private head = 0;
  private readonly received: ReceivedPackets;
  private newestDelivered = -1;

  constructor(settings: UnreliableChannelSettings, sink: ChannelSink) {
    super(settings.id);
    this.s = settings;
    this.sink = sink;
    this.received = new ReceivedPackets(settings.window);
  }

  /** Queue `payload` (size already checked by the connection); returns its message id (u16 sequence). */
  send(payload: Uint8Array): number {
    const sequence = this.nextSequence;
    this.nextSequence = (sequence + 1) & 0xffff;
    if (this.queue.length - this.head >= this.s.maxQueue) this.dropOldest();
    this.queue.push(payload);
    this.queueSequences.push(sequence);
    this.messagesSent++;
    return sequence;
  }

  /** Messages waiting for a flush. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Bytes of the messages waiting for a flush. */
  get queuedBytes(): number {
    let bytes = 0;
    for (let i = this.head; i < this.queue.length; i++) bytes += this.queue[i]!.length;
    return bytes;
  }

  /** Always 0: unreliable messages are not held once sent. */
  get inFlight(): number {
    return 0;
  }

  /** `true` when messages wait for a flush. */
  hasPending(): boolean {
    return this.head < this.queue.length;
  }

  /** Write queued messages into `builder` while they fit. */
  write(builder: PacketBuilder): void {
    const { index, id } = this.s;
    while (this.head < this.queue.length) {
      const payload = this.queue[this.head]!;
      if (!builder.fits(PacketBuilder.recordSize(payload.length, false))) {
        builder.deferred = true;
        return;
      }
      builder.add(index, id, this.queueSequences[this.head]!, payload, -1);
      this.advanceHead();
    }
  }

  /** The packet that carried message `sequence` was acked. */
  onAcked(sequence: number): void {
    this.messagesAcked++;
    this.sink.acked(this.s.id, sequence);
  }

  /** The packet that carried message `sequence` was lost. */
  onLost(sequence: number): void {
    this.rare.messagesLost++;
    this.sink.lost(this.s.id, sequence);
  }

  /** A record for this channel arrived. */
  receive(sequence: number, payload: Uint8Array): void {
    const verdict = this.received.check(sequence);
    if (verdict === ReceiveVerdict.Duplicate) {
      this.rare.duplicatesDropped++;
      return;
    }
    if (verdict === ReceiveVerdict.Stale) {
      this.rare.staleDropped++;
      return;
    }
    this.received.record(sequence);
    if (this.s.sequenced) {
      if (this.newestDelivered >= 0 && !seqGreaterThan(sequence, this.newestDelivered)) {
        this.rare.staleDropped++;
        return;
      }
      this.newestDelivered = sequence;
    }
    this.messagesDelivered++;
    this.sink.deliver(this.s.id, payload);
  }

  private dropOldest(): void {
    const sequence = this.queueSequences[this.head]!;
    this.rare.queueOverflows++;
    this.advanceHead();
    this.onLost(sequence);
  }

  private advanceHead(): void {
    this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.queueSequences.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.queueSequences = this.queueSequences.slice(this.head);
      this.head = 0;
    }
  }
}
