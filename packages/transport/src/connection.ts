/**
 * The sans-IO protocol core: one connection to one peer. It owns no socket and no timer. Feed it
 * datagrams with {@link Connection.receive} and messages with {@link Connection.send}; call
 * {@link Connection.flush} with the current time to get the datagrams to put on the wire, and again
 * by {@link Connection.nextTimeout}. Time is always passed in, so it runs on a virtual clock.
 * @module
 */
import type { ChannelSink, ChannelStats } from './channel/channel-sink.js';
import { ReliableOrderedChannel, type SendBudget } from './channel/reliable-ordered-channel.js';
import { UnreliableChannel } from './channel/unreliable-channel.js';
import {
  type ConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from './connection-options.js';
import { type ConnectionStats, createConnectionStats } from './connection-stats.js';
import { ClosedError, MessageTooLargeError, type NetplayError, UnknownChannelError } from './errors.js';
import { CongestionController } from './packet/congestion-controller.js';
import { LossWindow } from './packet/loss-window.js';
import {
  FRAGMENT_RECORD_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  type RecordHeader,
  readRecordHeader,
} from './packet/message-record.js';
import { PacketBuilder } from './packet/packet-builder.js';
import {
  PACKET_HEADER_SIZE,
  type PacketHeader,
  PacketType,
  readPacketHeader,
  writePacketHeader,
} from './packet/packet-header.js';
import { ReceivedPackets, ReceiveVerdict } from './packet/received-packets.js';
import { RttEstimator } from './packet/rtt-estimator.js';
import { releaseRefsArray, SentPackets, SentState } from './packet/sent-packets.js';
import { seqDiff, seqGreaterThan } from './packet/sequence.js';

/** Callbacks of a {@link Connection}. Exceptions thrown by them are caught and reported to `onError`. */
export interface ConnectionHandlers {
  /**
   * A message arrived on `channel`. `payload` may be a view into the received datagram: copy it to
   * keep it past the call if the link reuses buffers (no built-in link does).
   */
  onMessage(channel: number, payload: Uint8Array): void;
  /**
   * The peer acknowledged message `messageId` (the id `send` returned) on `channel`. On reliable
   * channels this is reported in order, once the message and everything before it arrived.
   */
  onAcked?(channel: number, messageId: number): void;
  /** An unreliable message was lost (its packet was not acked in time, or it overflowed the queue). */
  onLost?(channel: number, messageId: number): void;
  /**
   * Something went wrong that the caller should know: a handler threw (the connection carries on),
   * or the peer broke the protocol (`PROTOCOL_VIOLATION`; the connection has failed). When no
   * `onError` is set, the error is rethrown asynchronously so it is never silently lost.
   */
  onError?(error: Error): void;
}

/** Lifecycle of a {@link Connection}. */
export type ConnectionState = 'open' | 'failed' | 'closed';

/** A packet is lost once a packet sent this many later was acked (RFC 9002 kPacketThreshold). */
const LOSS_PACKET_THRESHOLD = 3;
/** Consecutive resend timeouts without an ack that count as persistent congestion. */
const PERSISTENT_CONGESTION_TIMEOUTS = 2;
const LOSS_WINDOW_PACKETS = 256;
const NO_CHANNEL = -1;

/**
 * One connection to one peer: channels over a packet-level ack layer, in the style of reliable.io
 * and QUIC. See docs/protocol.md for the wire format.
 *
 * ```ts
 * const a = new Connection({}, { onMessage: (ch, bytes) => {} });
 * a.send(DefaultChannel.Reliable, bytes);
 * for (const datagram of a.flush(now)) link.send(datagram);
 * link.setHandlers({ onDatagram: (d) => a.receive(d, clock.now()) });
 * ```
 */
export class Connection {
  /** The resolved options (defaults filled in). */
  readonly options: ResolvedConnectionOptions;
  private handlers: ConnectionHandlers;
  private _state: ConnectionState = 'open';
  private readonly _stats: ConnectionStats = createConnectionStats();

  private readonly reliable: ReliableOrderedChannel[] = [];
  private readonly unreliable: UnreliableChannel[] = [];
  /** Channel objects by index (position in options.channels). */
  private readonly byIndex: (ReliableOrderedChannel | UnreliableChannel)[] = [];
  /** Index by wire id, NO_CHANNEL when unconfigured. */
  private readonly indexById = new Int8Array(16).fill(NO_CHANNEL);
  private readonly maxUnreliablePayload: number;

  private readonly builder: PacketBuilder;
  private readonly budget: SendBudget = { bytes: 0 };
  private readonly sent: SentPackets;
  private readonly received: ReceivedPackets;
  private readonly rtt: RttEstimator;
  private readonly cc: CongestionController | undefined;
  private readonly lossWindow = new LossWindow(LOSS_WINDOW_PACKETS);

  private nextSequence = 0;
  /** Oldest packet sequence that may still be in flight. */
  private oldestInFlight = 0;
  private inFlightPackets = 0;
  private hasLargestAcked = false;
  private largestAcked = 0;
  /** When an ack-only packet is due if no other packet carries the ack first (Infinity: none pending). */
  private ackDeadline = Number.POSITIVE_INFINITY;
  private lastSentAt = -1;
  /** Reliable links: RTT samples come only from KeepAlive probes, which the peer acks without the long delay. */
  private lastProbeAt = -1;
  private probeSequence = -1;
  private probeSentAt = 0;
  private readonly header: PacketHeader = { type: 0, sequence: 0, hasAck: false, ack: 0, ackBits: 0 };
  private readonly record: RecordHeader = {
    channel: 0,
    sequence: 0,
    fragmentsRemaining: -1,
    payloadOffset: 0,
    payloadLength: 0,
  };
  private readonly sink: ChannelSink;

  constructor(options: ConnectionOptions = {}, handlers: ConnectionHandlers = { onMessage: () => {} }) {
    const o = resolveConnectionOptions(options);
    this.options = o;
    this.handlers = handlers;
    // No closure per call: these run once per message delivered, acked or lost.
    this.sink = {
      deliver: (channel, payload) => {
        try {
          this.handlers.onMessage(channel, payload);
        } catch (error) {
          this.handlerFailed(error);
        }
      },
      acked: (channel, id) => this.notify(this.handlers.onAcked, channel, id),
      lost: (channel, id) => this.notify(this.handlers.onLost, channel, id),
      violation: (error) => this.fail(error),
    };
    this.maxUnreliablePayload = o.mtu - PACKET_HEADER_SIZE - RECORD_HEADER_SIZE;
    o.channels.forEach((config, index) => {
      this.indexById[config.id] = index;
      if (config.mode === 'reliable-ordered') {
        const ch = new ReliableOrderedChannel(
          {
            index,
            id: config.id,
            window: o.reliableWindow,
            maxUnitPayload: this.maxUnreliablePayload,
            fragmentPayload: o.mtu - PACKET_HEADER_SIZE - FRAGMENT_RECORD_HEADER_SIZE,
            maxMessageSize: o.maxMessageSize,
            maxQueueBytes: o.maxSendQueueBytes,
            redundantSends: o.reliableLink ? 0 : o.redundantSends,
          },
          this.sink,
        );
        this.reliable.push(ch);
        this.byIndex.push(ch);
      } else {
        const ch = new UnreliableChannel(
          {
            index,
            id: config.id,
            sequenced: config.mode === 'unreliable-sequenced',
            maxQueue: o.maxUnreliableQueue,
            window: o.unreliableWindow,
          },
          this.sink,
        );
        this.unreliable.push(ch);
        this.byIndex.push(ch);
      }
    });
    this.builder = new PacketBuilder(o.mtu);
    this.sent = new SentPackets(o.packetWindow);
    this.received = new ReceivedPackets(o.packetWindow);
    this.rtt = new RttEstimator({
      initialRtt: o.initialRtt,
      minRto: o.minRto,
      maxRto: o.maxRto,
      maxAckDelay: o.ackDelay,
      maxBackoff: o.maxBackoff,
    });
    this.cc =
      o.congestionControl && !o.reliableLink
        ? new CongestionController({
            mtu: o.mtu,
            initialWindowPackets: o.initialCongestionWindow,
            minWindowPackets: o.minCongestionWindow,
          })
        : undefined;
  }

  /** Replace the callbacks. */
  setHandlers(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  /** `open`, `failed` (the peer broke the protocol) or `closed` (by {@link close}). */
  get state(): ConnectionState {
    return this._state;
  }

  /** Largest payload of an unreliable message (one packet, minus framing). */
  get maxUnreliableMessageSize(): number {
    return this.maxUnreliablePayload;
  }

  // ======================================================================= send

  /**
   * Queue `payload` on `channel`; it goes out on the next {@link flush}. Ownership of `payload`
   * passes to the connection (do not modify it afterwards; it is not copied). Returns the message id
   * (a u16 sequence, wrapping) that `onAcked` / `onLost` report.
   *
   * @throws {@link MessageTooLargeError} when an unreliable message does not fit one packet, or a
   *   reliable one exceeds `maxMessageSize` (never silently dropped or made reliable).
   * @throws {@link SendQueueFullError} when a reliable channel's queue is full.
   * @throws {@link UnknownChannelError}, {@link ClosedError}.
   */
  send(channel: number, payload: Uint8Array): number {
    if (this._state !== 'open') throw new ClosedError();
    const index = channel >= 0 && channel < 16 ? this.indexById[channel]! : NO_CHANNEL;
    if (index === NO_CHANNEL) throw new UnknownChannelError(channel);
    const ch = this.byIndex[index]!;
    if (ch instanceof UnreliableChannel) {
      if (payload.length > this.maxUnreliablePayload) {
        throw new MessageTooLargeError(payload.length, this.maxUnreliablePayload, 'unreliable message');
      }
      return ch.send(payload);
    }
    if (payload.length > this.options.maxMessageSize) {
      throw new MessageTooLargeError(payload.length, this.options.maxMessageSize, 'reliable message');
    }
    return ch.send(payload);
  }

  /**
   * Produce the datagrams to send at `now`: resends of lost reliable messages, queued unreliable
   * messages and new reliable messages, coalesced into packets of at most `mtu` bytes, with spare
   * room filled by redundant copies of unacked reliable messages. With nothing to send it may
   * return an ack-only or keep-alive packet, or nothing.
   */
  flush(now: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this._state !== 'open') return out;
    if (this.lastSentAt < 0) this.lastSentAt = now;
    if (this.lastProbeAt < 0) this.lastProbeAt = now;
    this.detectLosses(now);
    const b = this.builder;
    const redundancy = this.options.redundantSends > 0 && !this.options.reliableLink;
    const sent = this.sent;
    for (;;) {
      // packetWindow packets unacked: wait for acks. Overwriting the oldest would declare it lost
      // and queue its reliable messages again, which would fill the next packet, and so on forever.
      if (sent.isFull(this.nextSequence)) break;
      b.begin();
      const seq = this.nextSequence;
      this.budget.bytes = this.reliableBudget();
      for (const ch of this.reliable) ch.writeResends(b, seq, this.budget);
      for (const ch of this.unreliable) ch.write(b);
      for (const ch of this.reliable) ch.writeNew(b, seq, this.budget);
      if (b.records === 0) break;
      if (redundancy) for (const ch of this.reliable) ch.writeRedundant(b, seq, this.budget);
      out.push(this.emit(PacketType.Data, now));
    }
    const o = this.options;
    const full = sent.isFull(this.nextSequence);
    if (o.reliableLink && !full && now >= this.lastProbeAt + o.rttProbeInterval) {
      // An RTT probe, even while data flows: acks of Data may wait reliableLinkAckDelay (not for this).
      b.begin();
      out.push(this.emit(PacketType.KeepAlive, now));
    } else if (out.length === 0) {
      if (now >= this.ackDeadline) {
        b.begin();
        out.push(this.emit(PacketType.Ack, now));
      } else if (!full && now >= this.lastSentAt + o.keepAliveInterval) {
        b.begin();
        out.push(this.emit(PacketType.KeepAlive, now));
      }
    }
    return out;
  }

  /**
   * The time at which {@link flush} should next be called if nothing else happens (resend timeout,
   * delayed ack, keep-alive); `now` itself when something is ready to go. Call after every
   * send/receive/flush.
   */
  nextTimeout(now: number): number {
    if (this._state !== 'open') return Number.POSITIVE_INFINITY;
    if (this.hasSendable()) return now;
    const o = this.options;
    let t = this.ackDeadline;
    if (!this.sent.isFull(this.nextSequence)) {
      // Keep-alives and probes wait while the packet window is full (an ack or a loss frees it).
      t = Math.min(t, this.lastSentAt < 0 ? now + o.keepAliveInterval : this.lastSentAt + o.keepAliveInterval);
      if (o.reliableLink) t = Math.min(t, (this.lastProbeAt < 0 ? now : this.lastProbeAt) + o.rttProbeInterval);
    }
    if (!o.reliableLink && this.inFlightPackets > 0) {
      const oldest = this.findOldestInFlight();
      if (oldest >= 0) {
        const sentAt = this.sent.sentAt[oldest]!;
        t = Math.min(t, sentAt + this.rtt.rto());
        if (this.hasLargestAcked && seqGreaterThan(this.largestAcked, this.oldestInFlight)) {
          t = Math.min(t, sentAt + this.rtt.lossDelay());
        }
      }
    }
    return Math.max(now, t);
  }

  /**
   * Treat every packet in flight as lost, so their reliable messages go again on the next flush.
   * Call after the link was replaced (session resume over a new socket): nothing reliable is lost,
   * and the peer drops whatever it already had.
   */
  resendUnacked(): void {
    const span = this.inFlightSpan();
    const sent = this.sent;
    for (let i = 0; i < span; i++) {
      const p = sent.find((this.oldestInFlight + i) & 0xffff);
      if (p < 0 || sent.state[p] !== SentState.InFlight) continue;
      sent.state[p] = SentState.Lost;
      this.inFlightPackets--;
      this.cc?.onDiscarded(sent.size[p]!);
      this.notifyLost(p);
    }
    this.rtt.backoff = 0;
  }

  /** Stop: further sends throw `CLOSED`, received datagrams are ignored, flush returns nothing. */
  close(): void {
    if (this._state === 'open') this._state = 'closed';
  }

  // ======================================================================= receive

  /**
   * Feed one datagram received at `now`. Malformed, duplicate and stale datagrams are dropped and
   * counted; nothing throws out of here. Messages are delivered through `onMessage`.
   */
  receive(datagram: Uint8Array, now: number): void {
    if (this._state !== 'open') return;
    const h = this.header;
    const stats = this._stats;
    if (
      !readPacketHeader(datagram, h) ||
      !this.validAck(h) ||
      (h.type === PacketType.Data && !this.validRecords(datagram))
    ) {
      stats.invalidPacketsDropped++;
      return;
    }
    const verdict = this.received.check(h.sequence);
    if (verdict !== ReceiveVerdict.New) {
      if (verdict === ReceiveVerdict.Duplicate) stats.duplicatePacketsDropped++;
      else stats.stalePacketsDropped++;
      return;
    }
    this.received.record(h.sequence);
    stats.packetsReceived++;
    stats.bytesReceived += datagram.length;
    stats.lastReceivedAt = now;
    if (h.type !== PacketType.Ack) {
      // On a reliable link acks only release the resume buffer: Data acks may wait longer for a
      // packet to ride on. KeepAlives (RTT probes) are acked as promptly as on any link.
      const delay =
        this.options.reliableLink && h.type === PacketType.Data
          ? this.options.reliableLinkAckDelay
          : this.options.ackDelay;
      if (now + delay < this.ackDeadline) this.ackDeadline = now + delay;
    }
    if (h.hasAck) this.processAcks(h.ack, h.ackBits, now);
    if (h.type === PacketType.Data) this.deliverRecords(datagram);
  }

  // ======================================================================= stats

  /** Live statistics (the same object every time, refreshed on read). */
  get stats(): Readonly<ConnectionStats> {
    const s = this._stats;
    const r = this.rtt;
    s.rtt = r.srtt;
    s.rttMin = r.samples > 0 ? r.min : 0;
    s.rttMax = r.max;
    s.rttVariance = r.rttvar;
    s.jitter = r.jitter;
    s.rto = r.rto();
    s.packetLoss = this.lossWindow.fraction();
    s.congestionWindow = this.cc ? this.cc.window : Number.POSITIVE_INFINITY;
    s.bytesInFlight = this.cc ? this.cc.bytesInFlight : 0;
    let resent = 0;
    let redundant = 0;
    for (const ch of this.reliable) {
      resent += ch.stats.messagesResent;
      redundant += ch.stats.redundantSends;
    }
    s.messagesResent = resent;
    s.redundantSends = redundant;
    return s;
  }

  /** Statistics of one channel (queue lengths, per-message counters). */
  channelStats(channel: number): Readonly<ChannelStats> {
    const index = channel >= 0 && channel < 16 ? this.indexById[channel]! : NO_CHANNEL;
    if (index === NO_CHANNEL) throw new UnknownChannelError(channel);
    return this.byIndex[index]!.stats;
  }

  /** `true` while reliable messages are unacked or anything waits to be sent. */
  get hasPendingData(): boolean {
    return this.hasSendable() || this.reliable.some((ch) => ch.hasUnacked());
  }

  // ======================================================================= internals

  /**
   * `true` when a flush now would send data. Reliable data counts only while the congestion window
   * has room for a packet holding the next reliable record (or nothing is in flight): a flush then
   * always makes progress, and a window with less room waits for acks instead of spinning. The room
   * needed is that record's real size, not a full MTU: a game's packets of a few hundred bytes must
   * not stall behind a window that is merely smaller than 1200 bytes of spare room.
   */
  private hasSendable(): boolean {
    if (this.sent.isFull(this.nextSequence)) return false;
    for (const ch of this.unreliable) if (ch.hasPending()) return true;
    const cc = this.cc;
    if (cc !== undefined && cc.bytesInFlight > 0) {
      const room = cc.available() - PACKET_HEADER_SIZE;
      for (const ch of this.reliable) if (ch.nextSendSize() <= room) return true;
      return false;
    }
    for (const ch of this.reliable) if (ch.hasSendable()) return true;
    return false;
  }

  /** Bytes of reliable records allowed in the packet being built. */
  private reliableBudget(): number {
    if (this.cc === undefined) return Number.POSITIVE_INFINITY;
    const available = this.cc.available() - this.builder.length;
    // With nothing in flight, always allow one packet so a tiny window cannot stall the connection.
    return this.cc.bytesInFlight === 0 ? Math.max(available, this.options.mtu) : available;
  }

  private emit(type: number, now: number): Uint8Array {
    const b = this.builder;
    const seq = this.nextSequence;
    const r = this.received;
    writePacketHeader(b.view, type, seq, r.hasAny, r.latest, r.hasAny ? r.ackBits() : 0);
    const datagram = b.take();
    const sent = this.sent;
    if (type === PacketType.Ack && sent.isFull(seq)) {
      // Never acked itself, so not recorded: the packet in flight keeps its slot.
      this.nextSequence = (seq + 1) & 0xffff;
      this.ackDeadline = Number.POSITIVE_INFINITY;
      this.lastSentAt = now;
      this._stats.packetsSent++;
      this._stats.bytesSent += datagram.length;
      return datagram;
    }
    const slot = sent.slotFor(seq);
    if (sent.state[slot] === SentState.InFlight) this.declareLost(slot, now); // a lap old (not reached: see isFull)
    const ackEliciting = type !== PacketType.Ack;
    if (this.inFlightPackets === 0) this.oldestInFlight = seq;
    b.refs = sent.record(slot, seq, now, datagram.length, ackEliciting ? SentState.InFlight : SentState.Empty, b.refs);
    if (ackEliciting) {
      this.inFlightPackets++;
      this.cc?.onSent(datagram.length);
    }
    this.nextSequence = (seq + 1) & 0xffff;
    this.ackDeadline = Number.POSITIVE_INFINITY;
    this.lastSentAt = now;
    if (type === PacketType.KeepAlive && this.options.reliableLink) {
      this.lastProbeAt = now;
      this.probeSequence = seq;
      this.probeSentAt = now;
    }
    this._stats.packetsSent++;
    this._stats.bytesSent += datagram.length;
    return datagram;
  }

  /**
   * An ack must name a packet this side has sent: acking the future is impossible, so the datagram
   * is forged or corrupt. An ack older than the tracking window is merely useless (ignored).
   */
  private validAck(h: PacketHeader): boolean {
    if (!h.hasAck) return true;
    return this._stats.packetsSent > 0 && seqDiff((this.nextSequence - 1) & 0xffff, h.ack) >= 0;
  }

  /** Walk the records once before delivering any, so a malformed packet delivers nothing. */
  private validRecords(datagram: Uint8Array): boolean {
    const rec = this.record;
    let at = PACKET_HEADER_SIZE;
    if (at === datagram.length) return false; // a data packet carries at least one record
    while (at < datagram.length) {
      at = readRecordHeader(datagram, at, rec);
      if (at < 0) return false;
      const index = this.indexById[rec.channel]!;
      if (index === NO_CHANNEL) return false;
      if (rec.fragmentsRemaining >= 0 && !(this.byIndex[index] instanceof ReliableOrderedChannel)) return false;
    }
    return true;
  }

  private deliverRecords(datagram: Uint8Array): void {
    const rec = this.record;
    let at = PACKET_HEADER_SIZE;
    while (at < datagram.length && this._state === 'open') {
      at = readRecordHeader(datagram, at, rec);
      const payload = datagram.subarray(rec.payloadOffset, rec.payloadOffset + rec.payloadLength);
      const ch = this.byIndex[this.indexById[rec.channel]!]!;
      if (ch instanceof ReliableOrderedChannel) ch.receive(rec.sequence, rec.fragmentsRemaining, payload);
      else ch.receive(rec.sequence, payload);
    }
  }

  private processAcks(ack: number, ackBits: number, now: number): void {
    const sent = this.sent;
    const newest = sent.find(ack);
    const reliableLink = this.options.reliableLink;
    if (newest >= 0 && (sent.state[newest] === SentState.InFlight || sent.state[newest] === SentState.Lost)) {
      if (!reliableLink) this.rtt.sample(now - sent.sentAt[newest]!);
      this.onPacketAcked(newest);
    }
    if (reliableLink && this.inFlightPackets > 0) {
      // In order and lossless: the peer has every packet sent before `ack`, also those the 32 ack
      // bits no longer reach. (Packets lost with a replaced link are Lost, not InFlight: untouched.)
      for (let seq = this.oldestInFlight; seqDiff(ack, seq) > 0 && this.inFlightPackets > 0; seq = (seq + 1) & 0xffff) {
        const p = sent.find(seq);
        if (p >= 0 && sent.state[p] === SentState.InFlight) this.onPacketAcked(p);
      }
    }
    if (reliableLink && this.probeSequence >= 0) {
      // The first packet acking the probe (as `ack` or in the bits) left the peer within its short
      // ackDelay of receiving it: an RTT sample as honest as on an unreliable link.
      const d = seqDiff(ack, this.probeSequence);
      if (d === 0 || (d > 0 && d <= 32 && (ackBits & (1 << (d - 1))) !== 0)) {
        this.rtt.sample(now - this.probeSentAt);
        this.probeSequence = -1;
      } else if (d > 32) {
        this.probeSequence = -1; // acked (or not) too long ago to tell
      }
    }
    for (let i = 0; i < 32 && ackBits !== 0; i++) {
      if ((ackBits & (1 << i)) === 0) continue;
      ackBits &= ~(1 << i);
      const p = sent.find((ack - 1 - i) & 0xffff);
      if (p >= 0 && (sent.state[p] === SentState.InFlight || sent.state[p] === SentState.Lost)) this.onPacketAcked(p);
    }
    if (!this.hasLargestAcked || seqGreaterThan(ack, this.largestAcked)) {
      this.hasLargestAcked = true;
      this.largestAcked = ack;
    }
    this.detectLosses(now);
  }

  private onPacketAcked(p: number): void {
    const sent = this.sent;
    const wasInFlight = sent.state[p] === SentState.InFlight;
    sent.state[p] = SentState.Acked;
    if (wasInFlight) {
      this.inFlightPackets--;
      this._stats.packetsAcked++;
      this.cc?.onAcked(sent.size[p]!, sent.sentAt[p]!);
      this.lossWindow.record(false);
    } else {
      this._stats.spuriousLosses++;
    }
    // Taken out of the ring before any callback runs (a callback may flush, and the ring may grow).
    const refs = sent.takeRefs(p);
    if (refs === undefined) return;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      const ch = this.byIndex[ref >>> 16]!;
      // An unreliable message already reported lost stays lost; a reliable one is acked late.
      if (ch instanceof ReliableOrderedChannel) ch.onAcked(ref & 0xffff);
      else if (wasInFlight) ch.onAcked(ref & 0xffff);
    }
    releaseRefsArray(refs);
  }

  private declareLost(p: number, now: number): void {
    const sent = this.sent;
    sent.state[p] = SentState.Lost;
    this.inFlightPackets--;
    this._stats.packetsLost++;
    this.cc?.onLost(sent.size[p]!, sent.sentAt[p]!, now);
    this.lossWindow.record(true);
    this.notifyLost(p);
  }

  private notifyLost(p: number): void {
    const refs = this.sent.refs(p);
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i]!;
      this.byIndex[ref >>> 16]!.onLost(ref & 0xffff);
    }
  }

  /** Number of sequences from the oldest possibly-in-flight packet to the newest sent. */
  private inFlightSpan(): number {
    return seqDiff(this.nextSequence, this.oldestInFlight);
  }

  /** Slot of the oldest packet in flight (and its sequence in `oldestInFlight`), or -1. */
  private findOldestInFlight(): number {
    const span = this.inFlightSpan();
    const sent = this.sent;
    for (let i = 0; i < span; i++) {
      const seq = (this.oldestInFlight + i) & 0xffff;
      const p = sent.find(seq);
      if (p >= 0 && sent.state[p] === SentState.InFlight) {
        this.oldestInFlight = seq;
        return p;
      }
    }
    this.oldestInFlight = this.nextSequence;
    return -1;
  }

  /**
   * RFC 9002-style loss detection: a packet is lost when a packet sent 3 or more later was acked,
   * or when it is older than 9/8 RTT and a later packet was acked; and on the resend timeout (RTO,
   * with backoff) when no ack comes at all. Off on reliable links.
   */
  private detectLosses(now: number): void {
    if (this.options.reliableLink || this.inFlightPackets === 0) return;
    if (this.findOldestInFlight() < 0) return;
    const rto = this.rtt.rto();
    const lossDelay = this.rtt.lossDelay();
    let timedOut = false;
    const sent = this.sent;
    const span = this.inFlightSpan();
    for (let i = 0; i < span; i++) {
      const seq = (this.oldestInFlight + i) & 0xffff;
      const p = sent.find(seq);
      if (p < 0 || sent.state[p] !== SentState.InFlight) continue;
      const sentAt = sent.sentAt[p]!;
      // Deadlines are compared as `now >= sentAt + delay`, the same expression nextTimeout() schedules.
      if (this.hasLargestAcked && seqGreaterThan(this.largestAcked, seq)) {
        if (seqDiff(this.largestAcked, seq) >= LOSS_PACKET_THRESHOLD || now >= sentAt + lossDelay) {
          this.declareLost(p, now);
          continue;
        }
      }
      if (now >= sentAt + rto) {
        this.declareLost(p, now);
        timedOut = true;
      } else if (!this.hasLargestAcked || !seqGreaterThan(this.largestAcked, seq)) {
        break; // sent later than every packet left to check: none of them has timed out either
      }
    }
    if (timedOut) {
      this._stats.timeouts++;
      this.rtt.onTimeout();
      if (this.rtt.backoff >= PERSISTENT_CONGESTION_TIMEOUTS) this.cc?.onPersistentCongestion(now);
    }
  }

  /** Call an optional `onAcked` / `onLost` handler; a throw is counted and reported as any handler's is. */
  private notify(
    handler: ((channel: number, messageId: number) => void) | undefined,
    channel: number,
    id: number,
  ): void {
    if (handler === undefined) return;
    try {
      handler.call(this.handlers, channel, id);
    } catch (error) {
      this.handlerFailed(error);
    }
  }

  private handlerFailed(error: unknown): void {
    this._stats.handlerErrors++;
    this.report(error instanceof Error ? error : new Error(String(error)));
  }

  private fail(error: NetplayError): void {
    if (this._state !== 'open') return;
    this._state = 'failed';
    this.report(error);
  }

  private report(error: Error): void {
    const onError = this.handlers.onError;
    if (onError) {
      try {
        onError(error);
        return;
      } catch (inner) {
        error = inner instanceof Error ? inner : error;
      }
    }
    queueMicrotask(() => {
      throw error;
    });
  }
}
