/**
 * The reliable-ordered channel: every message delivered exactly once and in order, whatever the
 * network loses, duplicates or reorders.
 *
 * Sending: messages (fragmented when larger than a packet) get consecutive sequences and wait in the
 * send buffer until a packet carrying them is acked. Only units of the send window may be in flight.
 * When a packet is lost, only the units it carried whose every copy was lost become eligible again
 * (selective resend), and they go out in a new packet. Spare room in outgoing packets carries extra
 * copies of unacked units (redundancy), so one lost packet costs one send interval, not one RTT.
 *
 * Receiving: units inside the receive window are buffered until they can be delivered in order;
 * fragments are reassembled.
 * @module
 */
import { ProtocolViolationError, SendQueueFullError } from '../errors.js';
import { PacketBuilder } from '../packet/packet-builder.js';
import { seqDiff } from '../packet/sequence.js';
import { maxQueuedUnits } from './channel-config.js';
import { ChannelCounters, type ChannelSink } from './channel-sink.js';
import { AssembleResult, FragmentAssembler } from './fragment-assembler.js';
import { ReliableUnit } from './reliable-unit.js';

/** Settings of a {@link ReliableOrderedChannel}. */
export interface ReliableChannelSettings {
  /** Position of the channel in its connection's channel list. */
  index: number;
  /** Channel id on the wire. */
  id: number;
  /** Send and receive window in units (a power of two, at most 8192). */
  window: number;
  /** Largest payload of an unfragmented record. */
  maxUnitPayload: number;
  /** Payload of each fragment of a large message. */
  fragmentPayload: number;
  /** Largest message accepted or reassembled. */
  maxMessageSize: number;
  /** Largest number of bytes queued (payload + framing) before `send` refuses. */
  maxQueueBytes: number;
  /** Extra copies of an unacked unit that may ride in spare packet space (0 disables redundancy). */
  redundantSends: number;
}

/** Reliable budget shared by the channels while one packet is being built (congestion window). */
export interface SendBudget {
  /** Bytes of reliable records that may still be added. */
  bytes: number;
}

/** Longest scan for redundancy candidates per packet (bounds the work on a large send buffer). */
const REDUNDANCY_SCAN_LIMIT = 64;
/** Retired units kept for reuse, shared by every channel of the process (an idle channel holds none). */
const UNIT_POOL_LIMIT = 256;
const unitPool: ReliableUnit[] = [];

/** One reliable-ordered channel. */
export class ReliableOrderedChannel extends ChannelCounters {
  private readonly s: ReliableChannelSettings;
  private readonly sink: ChannelSink;

  // ---- send side: units[head ..] in sequence order, units[head] has sequence headSequence.
  private units: ReliableUnit[] = [];
  private head = 0;
  private headSequence = 0;
  private nextSequence = 0;
  /** Offset (from head) of the first unit never sent. */
  private nextNew = 0;
  private resendCount = 0;
  /** Bytes (payload + framing) held unacked or unsent, against maxQueueBytes. */
  private bufferedBytes = 0;
  /** First unit of the message being retired from the head, or -1. */
  private ackedChainStart = -1;

  // ---- receive side.
  private nextDeliver = 0;
  /** Out-of-order receive window, allocated when the first unit arrives out of order. */
  private recv: ReceiveWindow | undefined;
  private buffered = 0;
  /** Created with the first fragment. */
  private assembler: FragmentAssembler | undefined;
  private failed = false;

  constructor(settings: ReliableChannelSettings, sink: ChannelSink) {
    super(settings.id);
    this.s = settings;
    this.sink = sink;
  }

  // ======================================================================= send side

  /**
   * Queue a message (size already checked against `maxMessageSize` by the connection). Returns its
   * message id (the sequence of its first unit). Throws {@link SendQueueFullError} when the queue
   * cannot take it; nothing already queued is affected.
   */
  send(payload: Uint8Array): number {
    const s = this.s;
    const count = payload.length <= s.maxUnitPayload ? 1 : Math.ceil(payload.length / s.fragmentPayload);
    const framing = count * PacketBuilder.recordSize(0, count > 1);
    const queuedUnits = this.units.length - this.head;
    if (
      this.bufferedBytes + payload.length + framing > s.maxQueueBytes ||
      queuedUnits + count > maxQueuedUnits(s.window)
    ) {
      throw new SendQueueFullError(s.id, this.bufferedBytes);
    }
    const first = this.nextSequence;
    if (count === 1) {
      this.push(payload, -1);
    } else {
      for (let i = 0; i < count; i++) {
        const start = i * s.fragmentPayload;
        this.push(payload.subarray(start, Math.min(payload.length, start + s.fragmentPayload)), count - 1 - i);
      }
    }
    this.bufferedBytes += payload.length + framing; // the sum of the units' recordSize
    this.messagesSent++;
    return first;
  }

  /** Units never sent (the unsent tail of the send buffer). */
  get queued(): number {
    return this.units.length - this.head - this.nextNew;
  }

  /** Payload bytes of the units never sent. */
  get queuedBytes(): number {
    let bytes = 0;
    for (let i = this.head + this.nextNew; i < this.units.length; i++) bytes += this.units[i]!.payload.length;
    return bytes;
  }

  /** Units sent and not acked yet. */
  get inFlight(): number {
    let n = 0;
    const end = this.head + this.nextNew;
    for (let i = this.head; i < end; i++) if (!this.units[i]!.acked) n++;
    return n;
  }

  /** `true` when units wait for a first send inside the window, or for a resend. */
  hasSendable(): boolean {
    return this.resendCount > 0 || (this.nextNew < this.s.window && this.head + this.nextNew < this.units.length);
  }

  /**
   * Record size (framing included) of the smallest unit a flush would write first: the first unit
   * awaiting a resend or the first never-sent unit of the window. `Infinity` when nothing is
   * sendable. The connection compares it with the congestion window's free room, so a window that
   * cannot take a full MTU still sends the small records a game sends every tick.
   */
  nextSendSize(): number {
    let size = Number.POSITIVE_INFINITY;
    if (this.resendCount > 0) {
      const end = this.head + this.nextNew;
      for (let i = this.head; i < end; i++) {
        const unit = this.units[i]!;
        if (unit.needsResend) {
          size = unit.recordSize;
          break;
        }
      }
    }
    const next = this.nextNew < this.s.window ? this.units[this.head + this.nextNew] : undefined;
    if (next !== undefined) {
      size = Math.min(size, next.recordSize);
    }
    return size;
  }

  /** `true` when the send buffer holds anything unacked. */
  hasUnacked(): boolean {
    return this.head < this.units.length;
  }

  /** Write units whose every copy was lost into `builder` while they fit the packet and budget. */
  writeResends(builder: PacketBuilder, packetSequence: number, budget: SendBudget): void {
    if (this.resendCount === 0) return;
    const end = this.head + this.nextNew;
    for (let i = this.head; i < end && this.resendCount > 0; i++) {
      const unit = this.units[i]!;
      if (!unit.needsResend) continue;
      if (!this.writeUnit(builder, unit, packetSequence, budget)) {
        builder.deferred = true;
        return;
      }
      unit.needsResend = false;
      this.resendCount--;
      this.rare.messagesResent++;
    }
  }

  /** Write never-sent units of the window into `builder` while they fit the packet and budget. */
  writeNew(builder: PacketBuilder, packetSequence: number, budget: SendBudget): void {
    const window = this.s.window;
    while (this.nextNew < window) {
      const unit = this.units[this.head + this.nextNew];
      if (unit === undefined) return;
      if (!this.writeUnit(builder, unit, packetSequence, budget)) {
        builder.deferred = true;
        return;
      }
      this.nextNew++;
    }
  }

  /** Fill spare room in `builder` with extra copies of the oldest unacked units. */
  writeRedundant(builder: PacketBuilder, packetSequence: number, budget: SendBudget): void {
    const maxCopies = this.s.redundantSends + 1;
    const end = Math.min(this.head + this.nextNew, this.head + REDUNDANCY_SCAN_LIMIT);
    for (let i = this.head; i < end; i++) {
      if (!builder.fits(4)) return;
      const unit = this.units[i]!;
      if (unit.acked || unit.needsResend || unit.copies >= maxCopies || unit.lastPacket === packetSequence) continue;
      if (this.writeUnit(builder, unit, packetSequence, budget)) this.rare.redundantSends++;
    }
  }

  /**
   * Write unit `sequence`, carried by a packet that timed out, into probe packet `packetSequence`
   * when no copy of it is in flight past the timed-out packets (those before `timedOutEnd`): what a
   * resend would send had they been declared lost. Copies go in ascending packet order, so that is
   * when the last packet that carried it is one of them (once in the probe, it is not). `budget` is
   * the probe's (the congestion window does not hold a probe back).
   */
  writeProbeCopy(
    builder: PacketBuilder,
    sequence: number,
    timedOutEnd: number,
    packetSequence: number,
    budget: SendBudget,
  ): void {
    const unit = this.unitAt(sequence);
    if (unit === undefined || unit.acked || seqDiff(timedOutEnd, unit.lastPacket) <= 0) return;
    if (this.writeUnit(builder, unit, packetSequence, budget)) this.rare.messagesResent++;
  }

  /** A packet that carried unit `sequence` was acked. */
  onAcked(sequence: number): void {
    const unit = this.unitAt(sequence);
    if (unit === undefined || unit.acked) return;
    unit.acked = true;
    if (unit.needsResend) {
      unit.needsResend = false;
      this.resendCount--;
    }
    // Retire acked units from the head in order; a message counts as acked once all its units are.
    while (this.head < this.units.length && this.units[this.head]!.acked && this.nextNew > 0) {
      const done = this.units[this.head]!;
      if (this.ackedChainStart < 0) this.ackedChainStart = done.sequence;
      if (done.fragmentsRemaining <= 0) {
        this.messagesAcked++;
        this.sink.acked(this.s.id, this.ackedChainStart);
        this.ackedChainStart = -1;
      }
      this.bufferedBytes -= done.recordSize;
      done.payload = EMPTY;
      if (unitPool.length < UNIT_POOL_LIMIT) unitPool.push(done);
      this.head++;
      this.headSequence = (this.headSequence + 1) & 0xffff;
      this.nextNew--;
    }
    this.compact();
  }

  /** A packet that carried unit `sequence` was lost. */
  onLost(sequence: number): void {
    const unit = this.unitAt(sequence);
    if (unit === undefined || unit.acked) return;
    if (unit.copies > 0) unit.copies--;
    if (unit.copies === 0 && !unit.needsResend) {
      unit.needsResend = true;
      this.resendCount++;
    }
  }

  private writeUnit(builder: PacketBuilder, unit: ReliableUnit, packetSequence: number, budget: SendBudget): boolean {
    const size = unit.recordSize;
    if (!builder.fits(size) || size > budget.bytes) return false;
    builder.add(this.s.index, this.s.id, unit.sequence, unit.payload, unit.fragmentsRemaining);
    budget.bytes -= size;
    unit.copies++;
    unit.sendCount++;
    unit.lastPacket = packetSequence;
    return true;
  }

  private unitAt(sequence: number): ReliableUnit | undefined {
    const offset = seqDiff(sequence, this.headSequence);
    if (offset < 0 || offset >= this.nextNew) return undefined;
    const unit = this.units[this.head + offset];
    return unit !== undefined && unit.sequence === sequence ? unit : undefined;
  }

  private push(payload: Uint8Array, fragmentsRemaining: number): void {
    const unit = unitPool.pop() ?? new ReliableUnit();
    unit.reset(
      this.nextSequence,
      payload,
      fragmentsRemaining,
      PacketBuilder.recordSize(payload.length, fragmentsRemaining >= 0),
    );
    this.nextSequence = (this.nextSequence + 1) & 0xffff;
    this.units.push(unit);
  }

  private compact(): void {
    if (this.head === this.units.length) {
      this.units.length = 0;
      this.head = 0;
    } else if (this.head > 256 && this.head * 2 > this.units.length) {
      this.units = this.units.slice(this.head);
      this.head = 0;
    }
  }

  // ======================================================================= receive side

  /** A record for this channel arrived. */
  receive(sequence: number, fragmentsRemaining: number, payload: Uint8Array): void {
    if (this.failed) return;
    const offset = seqDiff(sequence, this.nextDeliver);
    if (offset < 0) {
      this.rare.duplicatesDropped++;
      return;
    }
    if (offset >= this.s.window) {
      this.rare.staleDropped++;
      return;
    }
    if (offset === 0 && this.buffered === 0) {
      this.nextDeliver = (this.nextDeliver + 1) & 0xffff;
      this.deliverUnit(fragmentsRemaining, payload);
      return;
    }
    const slot = sequence & (this.s.window - 1);
    if (this.recv === undefined) this.recv = createReceiveWindow(this.s.window);
    const recv = this.recv;
    if (recv.sequences[slot] === sequence) {
      this.rare.duplicatesDropped++;
      return;
    }
    recv.sequences[slot] = sequence;
    recv.payloads[slot] = payload;
    recv.fragments[slot] = fragmentsRemaining;
    this.buffered++;
    this.drain();
  }

  /** Number of units buffered out of order. */
  get bufferedOutOfOrder(): number {
    return this.buffered;
  }

  private drain(): void {
    const mask = this.s.window - 1;
    const recv = this.recv;
    if (recv === undefined) return;
    while (!this.failed) {
      const slot = this.nextDeliver & mask;
      if (recv.sequences[slot] !== this.nextDeliver) return;
      const payload = recv.payloads[slot]!;
      const fragmentsRemaining = recv.fragments[slot]!;
      recv.sequences[slot] = -1;
      recv.payloads[slot] = undefined;
      this.buffered--;
      this.nextDeliver = (this.nextDeliver + 1) & 0xffff;
      this.deliverUnit(fragmentsRemaining, payload);
    }
  }

  private deliverUnit(fragmentsRemaining: number, payload: Uint8Array): void {
    if (fragmentsRemaining < 0 && this.assembler?.assembling !== true) {
      this.messagesDelivered++;
      this.sink.deliver(this.s.id, payload);
      return;
    }
    if (fragmentsRemaining < 0) {
      this.fail('whole message inside a fragment chain');
      return;
    }
    if (this.assembler === undefined) this.assembler = new FragmentAssembler(this.s.maxMessageSize);
    const assembler = this.assembler;
    const result = assembler.push(payload, fragmentsRemaining);
    if (result === AssembleResult.Complete) {
      this.messagesDelivered++;
      this.sink.deliver(this.s.id, assembler.message);
    } else if (result === AssembleResult.Invalid) {
      this.fail(assembler.error);
    }
  }

  private fail(reason: string): void {
    this.failed = true;
    this.sink.violation(new ProtocolViolationError(`channel ${this.s.id}: ${reason}`));
  }
}

const EMPTY = new Uint8Array(0);

/** Units received ahead of the next one to deliver, by `sequence & (window - 1)`. */
interface ReceiveWindow {
  readonly payloads: (Uint8Array | undefined)[];
  readonly fragments: Int32Array;
  /** Sequence held by each slot, -1 when empty. */
  readonly sequences: Int32Array;
}

function createReceiveWindow(window: number): ReceiveWindow {
  return {
    payloads: new Array<Uint8Array | undefined>(window).fill(undefined),
    fragments: new Int32Array(window),
    sequences: new Int32Array(window).fill(-1),
  };
}
